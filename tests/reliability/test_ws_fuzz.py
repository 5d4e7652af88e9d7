"""WebSocket fuzzing: random and malformed frames (hypothesis) sent by a signed-in user through
the real ASGI application. After each frame the socket still answers a ping (no crash, no close),
no frame is a server error, and a message is stored only for a valid send to the user's own
conversation."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from conversations import actions
from conversations.models import Message
from tests.wsclient import Socket, connect

pytestmark = [pytest.mark.django_db(transaction=True)]

FRAME_TYPES = [
    "message.send",
    "message.edit",
    "message.delete",
    "read",
    "typing",
    "sync",
    "presence.set",
    "presence.query",
    "ping",
    "call.invite",
    "call.signal",
]
OWN, FOREIGN = "own-conversation", "foreign-conversation"  # replaced by real ids

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    # Every code point, lone surrogates included (JSON carries them as \\udXXX escapes).
    | st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
huge_strings = st.sampled_from([10_000, 70_000]).map(lambda n: "é" * n)
ids = st.sampled_from([OWN, FOREIGN]) | st.uuids().map(str) | json_values
client_ids = st.from_regex(r"[A-Za-z0-9_.:-]{8,64}", fullmatch=True) | json_values
bodies = st.text(max_size=200) | huge_strings | json_values
fields = {
    "conversation": ids,
    "client_id": client_ids,
    "body": bodies,
    "attachments": st.lists(st.uuids().map(str), max_size=2) | json_values,
    "seq": st.integers(min_value=-5, max_value=2**63) | json_values,
    "cursors": st.dictionaries(ids.map(str), st.integers(-1, 10**12), max_size=3) | json_values,
    "message": ids,
    "status": st.sampled_from(["online", "away", "dnd"]) | json_values,
    "users": st.lists(ids, max_size=3) | json_values,
    "ref": st.text(max_size=80) | json_values,
    "call": ids,
    "to": ids,
    "data": json_values,
}
structured = st.fixed_dictionaries(
    {"type": st.sampled_from(FRAME_TYPES) | st.text(max_size=50) | json_values},
    optional=fields,
)
# Nearly valid sends: the right shape with one field possibly wrong.
sends = st.fixed_dictionaries(
    {
        "type": st.just("message.send"),
        "conversation": st.sampled_from([OWN, FOREIGN]),
        "client_id": client_ids,
        "body": bodies,
    },
    optional={"attachments": fields["attachments"], "ref": fields["ref"]},
)
frames = (
    structured
    | sends
    | json_values
    | st.text(max_size=200)  # mostly not JSON
    | st.binary(max_size=64)  # binary frames are refused
)


@sync_to_async
def message_count() -> int:
    # Written messages only: a valid call.invite to the user's own conversation, with nobody
    # connected on the other side, rightly leaves the system message « Appel manqué ».
    return Message.objects.exclude(kind=Message.Kind.SYSTEM).count()


@pytest.fixture
def conversations(personas) -> dict[str, str]:
    own, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    foreign, _ = actions.create_conversation(personas.nurse, users=[personas.coordinator])
    return {OWN: str(own.pk), FOREIGN: str(foreign.pk)}


@pytest.fixture
def gp_socket(personas, settings) -> Iterator[tuple[asyncio.Runner, Socket]]:
    # The flood guard answers rate_limited; here every frame must reach its handler.
    settings.WS_RATE_PER_SECOND = 100_000
    settings.WS_RATE_BURST = 100_000
    runner = asyncio.Runner()
    socket = runner.run(connect(personas.gp))
    try:
        yield runner, socket
    finally:
        runner.run(socket.close())
        runner.close()


def substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    if isinstance(value, dict):
        return {substitute(k, ids): substitute(v, ids) for k, v in value.items()}
    return value


async def exchange(socket: Socket, frame: Any, ping_ref: str) -> list[dict[str, Any]]:
    """Sends the frame, then a ping; returns every frame answered before the pong."""
    # send_input, not send_to: the latter refuses empty frames, which a browser may send.
    if isinstance(frame, bytes):
        await socket.comm.send_input({"type": "websocket.receive", "bytes": frame})
    else:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        await socket.comm.send_input({"type": "websocket.receive", "text": text})
    await socket.send({"type": "ping", "ref": ping_ref})
    answers: list[dict[str, Any]] = []
    while True:
        answer = await socket.receive(timeout=10)
        if answer["type"] == "pong" and answer.get("ref") == ping_ref:
            return answers
        answers.append(answer)


def test_random_frames_never_crash_close_or_store(conversations, gp_socket):
    runner, socket = gp_socket
    pings = itertools.count()

    @hypothesis_settings(
        max_examples=250,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(frame=frames)
    def check(frame: Any) -> None:
        assert_handled(runner, socket, substitute(frame, conversations), conversations, pings)

    check()


def assert_handled(
    runner: asyncio.Runner,
    socket: Socket,
    frame: Any,
    conversations: dict[str, str],
    pings: Iterator[int],
) -> None:
    before = runner.run(message_count())
    try:
        answers = runner.run(exchange(socket, frame, f"ping-{next(pings)}"))
    except AssertionError as exc:  # the communicator got nothing, or the socket closed
        raise AssertionError(f"the socket stopped answering after {frame!r:.300}") from exc
    server_errors = [a for a in answers if a["type"] == "error" and a["code"] == "server_error"]
    assert not server_errors, f"server error for {frame!r:.300}"
    stored = runner.run(message_count()) - before
    acks = [a for a in answers if a["type"] == "message.ack"]
    valid_own_send = (
        isinstance(frame, dict)
        and frame.get("type") == "message.send"
        and frame.get("conversation") == conversations[OWN]
    )
    if stored:
        assert stored == 1 and valid_own_send and acks, f"stored from {frame!r:.300}"
    if acks:
        assert valid_own_send, f"acked {frame!r:.300}"


EDGE_FRAMES = {
    "lone surrogate in a body": {
        "type": "message.send",
        "conversation": OWN,
        "client_id": "x" * 8,
        "body": "\ud800",
    },
    "NUL character in a body": {
        "type": "message.send",
        "conversation": OWN,
        "client_id": "y" * 8,
        "body": "a\x00b",
    },
    "body of 70 000 characters": {
        "type": "message.send",
        "conversation": OWN,
        "client_id": "z" * 8,
        "body": "é" * 70_000,
    },
    "cursor beyond 64 bits": {"type": "sync", "cursors": {OWN: 2**64}},
    "read seq beyond 64 bits": {"type": "read", "conversation": OWN, "seq": 2**64},
    "lone surrogate in a presence query": {"type": "presence.query", "users": ["\ud800"]},
    "lone surrogate in a type": {"type": "\udfff"},
    # Echoed back: the unknown key, the refused frame's ref (once a server_error in the
    # fuzzing run, a closed socket for the ref).
    "lone surrogate in a sync cursor key": {"type": "sync", "cursors": {OWN: 0, "x\ud800": 5}},
    "lone surrogate in a refused frame's ref": {"type": 12, "ref": "r\udbff"},
    "JSON nested 5000 deep": "[" * 5000 + "]" * 5000,
}


@pytest.mark.parametrize("frame", list(EDGE_FRAMES.values()), ids=list(EDGE_FRAMES))
def test_edge_frames_get_an_answer_never_a_server_error(conversations, gp_socket, frame):
    runner, socket = gp_socket
    frame = substitute(frame, conversations)
    assert_handled(runner, socket, frame, conversations, itertools.count())
