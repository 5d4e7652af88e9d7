"""Real-time conversations over /ws/: delivery, acks, order, idempotency, catch-up, errors."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from backend.asgi import application
from conversations import actions
from conversations.models import Conversation, Message
from tests.wsclient import connect

pytestmark = [pytest.mark.django_db(transaction=True)]


@sync_to_async
def open_conversation(creator, *others, **kwargs) -> Conversation:
    conversation, _ = actions.create_conversation(creator, users=list(others), **kwargs)
    return conversation


@sync_to_async
def stored(conversation: Conversation) -> list[tuple[int, str]]:
    return list(
        Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", "body")
    )


async def test_two_users_exchange_messages_and_a_third_hears_nothing(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio, nurse = (
        await connect(personas.gp),
        await connect(personas.cardiologist),
        await connect(personas.nurse),
    )
    sent = await gp.send_message(conversation.pk, "Bonjour, un avis sur un ECG ?")
    assert sent["seq"] == 1 and sent["sender"]["display_name"] == "Dr Claire Martin"
    received = await cardio.expect("message.new")
    assert received["message"]["id"] == sent["id"]
    assert received["message"]["body"] == "Bonjour, un avis sur un ECG ?"
    reply = await cardio.send_message(conversation.pk, "Envoyez-le moi.")
    assert (await gp.expect("message.new"))["message"]["id"] == reply["id"]
    assert [f["type"] for f in await nurse.frames_within(0.5)] in (
        [],
        ["presence"],
        ["presence", "presence"],
    )
    assert await stored(conversation) == [
        (1, "Bonjour, un avis sur un ECG ?"),
        (2, "Envoyez-le moi."),
    ]
    for socket in (gp, cardio, nurse):
        await socket.close()


async def test_every_tab_of_a_participant_receives_the_message(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp = await connect(personas.gp)
    tab1, tab2 = await connect(personas.cardiologist), await connect(personas.cardiologist)
    gp_other_tab = await connect(personas.gp)
    sent = await gp.send_message(conversation.pk, "Deux onglets")
    for socket in (tab1, tab2, gp_other_tab):
        assert (await socket.expect("message.new"))["message"]["id"] == sent["id"]
    # The sending socket gets its ack, not a second copy.
    assert all(f["type"] != "message.new" for f in await gp.frames_within(0.4))
    for socket in (gp, tab1, tab2, gp_other_tab):
        await socket.close()


async def test_a_resent_client_id_is_stored_once_even_concurrently(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    sockets = [await connect(personas.gp) for _ in range(3)]
    client_id = str(uuid.uuid4())
    frame = {
        "type": "message.send",
        "conversation": str(conversation.pk),
        "client_id": client_id,
        "body": "Une fois",
    }
    await asyncio.gather(*(s.send(frame) for s in sockets))
    acks = [await s.expect("message.ack", client_id=client_id) for s in sockets]
    assert len({a["message"]["id"] for a in acks}) == 1
    await sockets[0].send(frame)  # and once more, later
    again = await sockets[0].expect("message.ack", client_id=client_id)
    assert again["message"]["seq"] == 1
    assert await stored(conversation) == [(1, "Une fois")]
    for socket in sockets:
        await socket.close()


async def test_a_client_offline_during_50_messages_gets_them_all_in_order_by_sync(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    cardio = await connect(personas.cardiologist)
    first = await cardio.send_message(conversation.pk, "avant")
    gp = await connect(personas.gp)
    await gp.close()  # the GP goes offline after seeing seq 1
    for i in range(50):
        await cardio.send_message(conversation.pk, f"message {i}")
    gp = await connect(personas.gp)
    await gp.send({"type": "sync", "cursors": {str(conversation.pk): first["seq"]}, "ref": "s1"})
    answer = await gp.expect("sync", ref="s1")
    assert [m["seq"] for m in answer["messages"]] == list(range(2, 52))
    assert [m["body"] for m in answer["messages"]] == [f"message {i}" for i in range(50)]
    assert answer["more"] is False
    await gp.close()
    await cardio.close()


async def test_twenty_concurrent_senders_produce_gapless_seq(personas):
    others = [personas.cardiologist, personas.dermatologist, personas.nurse, personas.coordinator]
    conversation = await open_conversation(personas.gp, *others, title="RCP")
    people = [personas.gp, *others]
    sockets = [await connect(people[i % len(people)]) for i in range(20)]
    results = await asyncio.gather(
        *(s.send_message(conversation.pk, f"m{i}") for i, s in enumerate(sockets))
    )
    seqs = sorted(m["seq"] for m in results)
    assert seqs == list(range(1, 21))
    assert [seq for seq, _ in await stored(conversation)] == list(range(1, 21))
    for socket in sockets:
        await socket.close()


async def test_read_receipts_reach_the_others_and_unread_counts_follow(personas, as_user):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    for text in ("un", "deux", "trois"):
        await gp.send_message(conversation.pk, text)
    listing = await sync_to_async(
        lambda: as_user(personas.cardiologist).get("/api/conversations").json()
    )()
    assert listing["results"][0]["unread_count"] == 3
    await cardio.send({"type": "read", "conversation": str(conversation.pk), "seq": 2})
    receipt = await gp.expect("read")
    reader = receipt.pop("reader")
    assert receipt == {
        "type": "read",
        "conversation": str(conversation.pk),
        "user": str(personas.cardiologist.pk),
        "seq": 2,
    }
    # A direct participant reads for themself: named, with no team.
    assert reader["id"] == str(personas.cardiologist.pk) and reader["team"] is None
    listing = await sync_to_async(
        lambda: as_user(personas.cardiologist).get("/api/conversations").json()
    )()
    assert listing["results"][0]["unread_count"] == 1
    state = {r["user"]["id"]: r["seq"] for r in listing["results"][0]["read_state"]}
    assert state[str(personas.cardiologist.pk)] == 2
    await gp.close()
    await cardio.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        (json.dumps({"type": "teleport"}), "unknown_type"),
        (json.dumps({"body": "no type"}), "bad_frame"),
        (json.dumps({"type": "message.send", "conversation": "x"}), "invalid"),
        (
            json.dumps(
                {
                    "type": "message.send",
                    "client_id": "abcdefgh1",
                    "body": "x",
                    "conversation": str(uuid.uuid4()),
                }
            ),
            "not_found",
        ),
        (json.dumps({"type": "read", "conversation": str(uuid.uuid4()), "seq": -1}), "invalid"),
        (json.dumps({"type": "sync", "cursors": "all"}), "invalid"),
    ],
)
async def test_a_bad_frame_gets_an_error_frame_and_the_socket_stays_usable(personas, frame, code):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp = await connect(personas.gp)
    await gp.send(frame)
    error = await gp.expect("error")
    assert error["code"] == code, error
    assert error["message"]
    sent = await gp.send_message(conversation.pk, "toujours là")
    assert sent["seq"] == 1
    assert await stored(conversation) == [(1, "toujours là")]
    await gp.close()


async def test_a_body_over_the_limit_is_refused_and_not_stored(personas, settings):
    settings.MESSAGE_MAX_CHARS = 100
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp = await connect(personas.gp)
    await gp.send(
        {
            "type": "message.send",
            "conversation": str(conversation.pk),
            "client_id": str(uuid.uuid4()),
            "body": "x" * 101,
            "ref": "big",
        }
    )
    error = await gp.expect("error")
    assert (error["code"], error["ref"]) == ("body_too_long", "big")
    assert await stored(conversation) == []
    await gp.close()


async def test_a_frame_flood_is_rate_limited_without_closing_the_socket(personas, settings):
    settings.WS_RATE_BURST = 5
    settings.WS_RATE_PER_SECOND = 1
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp = await connect(personas.gp)
    for _ in range(8):
        await gp.send({"type": "ping"})
    frames = await gp.frames_within(0.5)
    assert [f["type"] for f in frames].count("pong") == 5
    assert any(f["type"] == "error" and f["code"] == "rate_limited" for f in frames)
    await asyncio.sleep(1.1)  # the bucket refills: the socket is still usable
    assert (await gp.send_message(conversation.pk, "après la rafale"))["seq"] == 1
    await gp.close()


async def test_typing_reaches_the_others_but_not_outsiders(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio, nurse = (
        await connect(personas.gp),
        await connect(personas.cardiologist),
        await connect(personas.nurse),
    )
    await gp.send({"type": "typing", "conversation": str(conversation.pk)})
    frame = await cardio.expect("typing")
    assert frame["user"] == str(personas.gp.pk)
    assert all(f["type"] != "typing" for f in await nurse.frames_within(0.4))
    await nurse.send({"type": "typing", "conversation": str(conversation.pk), "ref": "t"})
    assert (await nurse.expect("error"))["code"] == "not_found"
    for socket in (gp, cardio, nurse):
        await socket.close()


async def test_presence_follows_the_last_socket(personas):
    await open_conversation(personas.gp, personas.cardiologist)
    gp = await connect(personas.gp)
    cardio = await connect(personas.cardiologist)
    assert (await gp.expect("presence", user=str(personas.cardiologist.pk)))["status"] == "online"
    second = await connect(personas.cardiologist)
    await cardio.close()
    assert all(f.get("status") != "offline" for f in await gp.frames_within(0.4))
    await second.send({"type": "presence.set", "status": "away"})
    assert (await gp.expect("presence", user=str(personas.cardiologist.pk)))["status"] == "away"
    await second.close()
    assert (await gp.expect("presence", user=str(personas.cardiologist.pk)))["status"] == "offline"
    await gp.close()


async def test_anonymous_sockets_and_foreign_origins_are_refused(personas):
    with pytest.raises(ConnectionRefusedError):
        await connect(None)
    with pytest.raises(ConnectionRefusedError):
        await connect(personas.gp, origin=b"https://evil.example")
    communicator = WebsocketCommunicator(application, "/ws/")  # no origin header at all
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_sync_over_long_messages_stays_under_the_socket_limit_and_says_more(personas):
    """daphne refuses to send a WebSocket message over 1 MiB (the fuzzing run's server_error on
    a sync from an early cursor): the answer stops early and says `more`."""
    conversation = await open_conversation(personas.gp, personas.cardiologist)

    @sync_to_async
    def write_long_messages() -> None:
        for i in range(40):  # 40 x 40 KB of UTF-8
            actions.send_message(
                personas.gp, conversation.pk, client_id=f"long-{i:04d}", body="é" * 20_000
            )

    await write_long_messages()
    cardio = await connect(personas.cardiologist)
    seqs: list[int] = []
    cursor = 0
    while True:
        await cardio.send({"type": "sync", "cursors": {str(conversation.pk): cursor}, "ref": "s"})
        answer = await cardio.expect("sync", ref="s")
        assert len(json.dumps(answer, ensure_ascii=False).encode()) < 1024 * 1024
        seqs += [m["seq"] for m in answer["messages"]]
        cursor = seqs[-1]
        if not answer["more"]:
            break
    assert seqs == list(range(1, 41))
    await cardio.close()
