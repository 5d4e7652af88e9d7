"""Video calls: signaling over /ws/ (invite, accept, decline, hang up, signal), the call log,
the system messages, and the REST side (call log, ICE servers)."""

from __future__ import annotations

import datetime
import time
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db.models import F

from backend.audit.models import AuditEvent
from conversations import actions
from conversations.calls import lifecycle as calls
from conversations.models import Call, CallParticipant, Conversation, Message
from tests.conftest import assert_error, client_for
from tests.support.mssante import eager_tasks
from tests.wsclient import Socket, connect

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _eager_tasks() -> Any:
    """The missed-call task runs in-process (Redis broker or not): tests drive the expiry."""
    with eager_tasks():
        yield


@sync_to_async
def open_conversation(creator, *others, **kwargs) -> Conversation:
    conversation, _ = actions.create_conversation(creator, users=list(others), **kwargs)
    return conversation


@sync_to_async
def system_messages(conversation: Conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, kind=Message.Kind.SYSTEM)
        .order_by("seq")
        .values_list("body", flat=True)
    )


@sync_to_async
def stored_call(call_id: str) -> Call:
    return Call.objects.get(pk=call_id)


@sync_to_async
def calls_in(conversation: Conversation) -> int:
    return Call.objects.filter(conversation=conversation).count()


async def invite(socket: Socket, conversation: Conversation) -> dict[str, Any]:
    await socket.send({"type": "call.invite", "conversation": str(conversation.pk), "ref": "inv"})
    ringing = await socket.expect("call.ringing", ref="inv")
    return ringing["call"]


async def accept(socket: Socket, call: dict[str, Any]) -> dict[str, Any]:
    await socket.send({"type": "call.accept", "call": call["id"], "ref": "acc"})
    return await socket.expect("call.accept", ref="acc")


async def close_all(*sockets: Socket) -> None:
    for socket in sockets:
        await socket.close()


async def test_a_call_rings_every_device_and_stops_on_the_others_once_answered(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp = await connect(personas.gp)
    phone, desktop = await connect(personas.cardiologist), await connect(personas.cardiologist)
    call = await invite(gp, conversation)
    assert call["state"] == "ringing" and call["joined"] == [str(personas.gp.pk)]
    for device in (phone, desktop):
        ring = await device.expect("call.invite")
        assert ring["call"]["id"] == call["id"] and ring["from"] == str(personas.gp.pk)

    ack = await accept(phone, call)
    assert ack["call"]["state"] == "active"
    assert ack["call"]["joined"] == [str(personas.gp.pk), str(personas.cardiologist.pk)]
    assert (await desktop.expect("call.answered_elsewhere"))["call"]["id"] == call["id"]
    joined = await gp.expect("call.accept")
    assert joined["user"] == str(personas.cardiologist.pk)
    # The answering device got its ack, not a second copy.
    assert all(not f["type"].startswith("call.") for f in await phone.frames_within(0.3))
    await close_all(gp, phone, desktop)


async def test_hanging_up_ends_the_call_and_leaves_a_system_message_with_its_length(
    personas, as_user
):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    call = await invite(gp, conversation)
    await cardio.expect("call.invite")
    await accept(cardio, call)
    await gp.expect("call.accept")
    # Twelve minutes of talk, without waiting twelve minutes.
    await sync_to_async(Call.objects.filter(pk=call["id"]).update)(
        answered_at=F("answered_at") - datetime.timedelta(minutes=12)
    )
    await gp.send({"type": "call.hangup", "call": call["id"], "ref": "bye"})
    assert (await gp.expect("call.hangup", ref="bye"))["call"]["state"] == "ended"
    assert (await cardio.expect("call.hangup"))["user"] == str(personas.gp.pk)
    ended = await cardio.expect("call.ended")
    assert ended["call"]["state"] == "ended" and ended["call"]["duration_seconds"] >= 720
    assert (await cardio.expect("message.new"))["message"]["body"] == "Appel vidéo — 12 min"
    assert await system_messages(conversation) == ["Appel vidéo — 12 min"]

    log = await sync_to_async(client_for(personas.cardiologist).get)(
        f"/api/conversations/{conversation.pk}/calls"
    )
    assert log.status_code == 200, log.content
    [entry] = log.json()["results"]
    assert entry["state"] == "ended" and entry["joined"] == []
    assert {p["user"] for p in entry["participants"]} == {
        str(personas.gp.pk),
        str(personas.cardiologist.pk),
    }
    assert all(p["left_at"] for p in entry["participants"])
    verbs = await sync_to_async(
        lambda: list(
            AuditEvent.objects.filter(object_id=call["id"])
            .order_by("pk")
            .values_list("verb", flat=True)
        )
    )()
    assert verbs == ["call.started", "call.joined", "call.left", "call.ended"]
    await close_all(gp, cardio)


async def test_an_unanswered_call_ends_as_missed_after_the_ring_time(personas, settings):
    settings.CALL_RING_SECONDS = 45
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    call = await invite(gp, conversation)
    await cardio.expect("call.invite")
    started = (await stored_call(call["id"])).started_at
    expire = sync_to_async(calls.expire_if_unanswered)
    assert not await expire(call["id"], now=started + datetime.timedelta(seconds=44))
    assert await expire(call["id"], now=started + datetime.timedelta(seconds=46))
    assert not await expire(call["id"], now=started + datetime.timedelta(seconds=90))
    for socket in (gp, cardio):
        assert (await socket.expect("call.ended"))["call"]["state"] == "missed"
    assert await system_messages(conversation) == ["Appel manqué"]
    assert (await stored_call(call["id"])).answered_at is None
    await close_all(gp, cardio)


async def test_answering_after_the_ring_time_finds_the_call_missed(personas, settings):
    settings.CALL_RING_SECONDS = 45
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    call = await invite(gp, conversation)
    await cardio.expect("call.invite")
    settings.CALL_RING_SECONDS = 0  # the ring time has passed, and no task has run yet
    await cardio.send({"type": "call.accept", "call": call["id"], "ref": "late"})
    error = await cardio.expect("error", ref="late")
    assert error["code"] == "call_ended"
    assert (await stored_call(call["id"])).state == "missed"
    assert (await gp.expect("call.ended"))["call"]["state"] == "missed"
    await close_all(gp, cardio)


async def test_the_caller_hanging_up_before_an_answer_leaves_a_missed_call(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    call = await invite(gp, conversation)
    await cardio.expect("call.invite")
    await gp.send({"type": "call.hangup", "call": call["id"]})
    assert (await cardio.expect("call.ended"))["call"]["state"] == "missed"
    assert await system_messages(conversation) == ["Appel manqué"]
    await close_all(gp, cardio)


async def test_declining_a_one_to_one_call_ends_it_as_declined(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp = await connect(personas.gp)
    phone, desktop = await connect(personas.cardiologist), await connect(personas.cardiologist)
    call = await invite(gp, conversation)
    await phone.expect("call.invite")
    await phone.send({"type": "call.decline", "call": call["id"], "reason": "busy", "ref": "no"})
    assert (await phone.expect("call.decline", ref="no"))["call"]["state"] == "declined"
    declined = await gp.expect("call.decline")
    assert (declined["user"], declined["reason"]) == (str(personas.cardiologist.pk), "busy")
    assert (await gp.expect("call.ended"))["call"]["state"] == "declined"
    assert (await desktop.expect("call.ended"))["call"]["state"] == "declined"
    assert await system_messages(conversation) == ["Appel refusé"]
    await phone.send({"type": "call.accept", "call": call["id"], "ref": "again"})
    assert (await phone.expect("error", ref="again"))["code"] == "call_ended"
    await close_all(gp, phone, desktop)


async def test_in_a_group_one_decline_leaves_the_call_ringing_for_the_others(personas):
    conversation = await open_conversation(
        personas.gp, personas.cardiologist, personas.dermatologist, title="RCP"
    )
    gp, cardio, derm = (
        await connect(personas.gp),
        await connect(personas.cardiologist),
        await connect(personas.dermatologist),
    )
    call = await invite(gp, conversation)
    await cardio.expect("call.invite")
    await derm.expect("call.invite")
    await cardio.send({"type": "call.decline", "call": call["id"]})
    assert (await gp.expect("call.decline"))["call"]["state"] == "ringing"
    assert (await accept(derm, call))["call"]["state"] == "active"
    assert await system_messages(conversation) == []
    await close_all(gp, cardio, derm)


async def test_a_fifth_participant_is_refused_because_the_call_is_full(personas):
    five = [
        personas.gp,
        personas.cardiologist,
        personas.dermatologist,
        personas.nurse,
        personas.coordinator,
    ]
    conversation = await open_conversation(five[0], *five[1:], title="Staff")
    sockets = [await connect(user) for user in five]
    call = await invite(sockets[0], conversation)
    for socket in sockets[1:4]:
        await socket.expect("call.invite")
        await accept(socket, call)
    fifth = sockets[4]
    await fifth.expect("call.invite")
    await fifth.send({"type": "call.accept", "call": call["id"], "ref": "5th"})
    error = await fifth.expect("error", ref="5th")
    assert error["code"] == "call_full" and "4 participants" in error["message"]
    joined = await sync_to_async(
        lambda: CallParticipant.objects.filter(call_id=call["id"], left_at__isnull=True).count()
    )()
    assert joined == 4
    # Once someone leaves, the fifth can come in.
    await sockets[1].send({"type": "call.hangup", "call": call["id"]})
    await sockets[0].expect("call.hangup")
    assert (await accept(fifth, call))["call"]["state"] == "active"
    await close_all(*sockets)


async def test_signals_reach_only_the_addressees_socket_in_the_call(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp = await connect(personas.gp)
    phone, desktop = await connect(personas.cardiologist), await connect(personas.cardiologist)
    call = await invite(gp, conversation)
    await accept(phone, call)
    await gp.expect("call.accept")
    offer = {"sdp": {"type": "offer", "sdp": "v=0..."}}
    await gp.send(
        {
            "type": "call.signal",
            "call": call["id"],
            "to": str(personas.cardiologist.pk),
            "data": offer,
        }
    )
    relayed = await phone.expect("call.signal")
    assert relayed == {
        "type": "call.signal",
        "call": call["id"],
        "from": str(personas.gp.pk),
        "data": offer,
    }
    assert all(f["type"] != "call.signal" for f in await desktop.frames_within(0.3))
    await close_all(gp, phone, desktop)


async def test_a_non_participant_can_neither_signal_nor_join_nor_be_signalled(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio, nurse = (
        await connect(personas.gp),
        await connect(personas.cardiologist),
        await connect(personas.nurse),
    )
    call = await invite(gp, conversation)
    await accept(cardio, call)
    await gp.expect("call.accept")
    candidate = {"candidate": {"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host"}}
    await nurse.send(
        {
            "type": "call.signal",
            "call": call["id"],
            "to": str(personas.cardiologist.pk),
            "data": candidate,
            "ref": "s",
        }
    )
    assert (await nurse.expect("error", ref="s"))["code"] == "not_found"
    await nurse.send({"type": "call.accept", "call": call["id"], "ref": "j"})
    assert (await nurse.expect("error", ref="j"))["code"] == "not_found"
    await gp.send(
        {
            "type": "call.signal",
            "call": call["id"],
            "to": str(personas.nurse.pk),
            "data": candidate,
            "ref": "n",
        }
    )
    assert (await gp.expect("error", ref="n"))["code"] == "not_found"
    assert all(f["type"] != "call.signal" for f in await cardio.frames_within(0.3))
    assert all(not f["type"].startswith("call.") for f in await nurse.frames_within(0.3))
    assert (await stored_call(call["id"])).state == "active"
    await close_all(gp, cardio, nurse)


async def test_bad_call_frames_get_error_frames(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    call = await invite(gp, conversation)
    await accept(cardio, call)
    to = str(personas.cardiologist.pk)
    frames = [
        ({"type": "call.accept", "ref": "a"}, "invalid"),
        ({"type": "call.accept", "call": str(uuid.uuid4()), "ref": "b"}, "not_found"),
        ({"type": "call.signal", "call": call["id"], "to": to, "data": "x", "ref": "c"}, "invalid"),
        (
            {"type": "call.signal", "call": call["id"], "to": to, "data": {"x": "y" * 40000}},
            "signal_too_large",
        ),
        (
            {"type": "call.invite", "conversation": str(conversation.pk), "ref": "d"},
            "call_in_progress",
        ),
        ({"type": "call.decline", "call": call["id"], "ref": "e"}, "already_in_call"),
    ]
    for frame, code in frames:
        await gp.send(frame)
        assert (await gp.expect("error"))["code"] == code, frame
    assert await calls_in(conversation) == 1
    await close_all(gp, cardio)


async def test_a_participant_whose_socket_drops_leaves_the_call(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    call = await invite(gp, conversation)
    await accept(cardio, call)
    await gp.expect("call.accept")
    await cardio.close()
    assert (await gp.expect("call.hangup"))["user"] == str(personas.cardiologist.pk)
    assert (await gp.expect("call.ended"))["call"]["state"] == "ended"
    assert (await stored_call(call["id"])).state == "ended"
    assert (await system_messages(conversation))[0].startswith("Appel vidéo — ")
    await gp.close()


async def test_billing_staff_and_outsiders_get_no_call_log(personas, api):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    path = f"/api/conversations/{conversation.pk}/calls"
    get = sync_to_async(lambda user: client_for(user).get(path))
    assert_error(await get(personas.nurse), 404, "not_found")
    assert_error(await get(personas.billing), 403)
    assert_error(await get(None), 401)
    answer = await get(personas.gp)
    assert answer.status_code == 200 and answer.json() == {"results": []}


def test_ice_servers_are_empty_in_the_embedded_default(personas, settings):
    settings.STUN_URLS, settings.TURN_URLS, settings.TURN_SECRET = [], [], None
    answer = client_for(personas.gp).get("/api/calls/ice-servers")
    assert answer.status_code == 200
    assert answer.json() == {"ice_servers": [], "ttl": settings.TURN_CREDENTIAL_TTL}


def test_ice_servers_give_stun_and_time_limited_turn_credentials(personas, settings):
    settings.STUN_URLS = ["stun:turn.example.fr:3478"]
    settings.TURN_URLS = ["turn:turn.example.fr:3478?transport=udp", "turns:turn.example.fr:5349"]
    settings.TURN_SECRET = "partagé"
    settings.TURN_CREDENTIAL_TTL = 600
    answer = client_for(personas.gp).get("/api/calls/ice-servers").json()
    stun, turn = answer["ice_servers"]
    assert stun == {"urls": ["stun:turn.example.fr:3478"]}
    assert turn["urls"] == settings.TURN_URLS
    expiry, user = turn["username"].split(":")
    assert user == str(personas.gp.pk) and answer["ttl"] == 600
    assert int(expiry) > time.time() + 590
    assert turn["credential"]


def test_ice_servers_are_refused_to_billing_staff_and_anonymous_visitors(personas):
    assert_error(client_for(personas.billing).get("/api/calls/ice-servers"), 403)
    assert_error(client_for(None).get("/api/calls/ice-servers"), 401)
