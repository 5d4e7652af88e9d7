"""Client frames of the WebSocket, one handler per type: validate, call an action in a worker
thread, answer. The consumer (consumers.py) owns the socket and dispatches through HANDLERS;
call frames come from the calls wing (conversations/calls/signalling.py)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from channels.db import database_sync_to_async

from backend.errors import DomainError
from conversations import async_send, events, fastpath, frames, message_options, presence
from conversations.calls import signalling as ws_calls
from conversations.serializers import (
    WsMessageAcknowledge,
    WsMessageDelete,
    WsMessageEdit,
    WsMessageSend,
    WsPresenceQuery,
    WsPresenceSet,
    WsRead,
    WsSync,
    WsTyping,
)
from conversations.ws_handlers import (
    acknowledge_message,
    delete_message,
    edit_message,
    mark_read,
    send_message,
    sync_messages,
)

TYPING_MIN_INTERVAL = 2.0  # seconds between two relayed "typing" of one socket and conversation


class ChatSocket(ws_calls.Socket, Protocol):
    """What a frame handler needs of the consumer (which imports this module)."""

    typing_sent: dict[str, float]
    session_key: str | None
    auth_at: float | None
    session_checked: bool

    async def session_over(self) -> None: ...

    async def members_of(self, conversation: str, ref: Any) -> set[str]: ...

    async def broadcast_presence(self, user_ids: set[str], status: str) -> None: ...


Handler = Callable[[ChatSocket, dict[str, Any], "str | None"], Awaitable[None]]


class TokenBucket:
    """Frame flood guard: `rate` frames per second on average, bursts up to `burst`."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")  # one per socket (issue #21 item 5)

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.capacity = rate, float(burst)
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class FrameError(Exception):
    """A refusal of one client frame, with the frame's ref so the client can match the error."""

    def __init__(self, error: DomainError, ref: Any) -> None:
        super().__init__(error.message)
        self.error, self.ref = error, ref


# --- handlers: validate, call an action in a worker thread, answer ---------------------------
def guard(handler: Handler) -> Handler:
    """Attach the frame's ref to any domain error so the client can match the error."""

    async def wrapped(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
        try:
            await handler(consumer, frame, ref)
        except DomainError as exc:
            raise FrameError(exc, ref) from exc

    return wrapped


@guard
async def on_message_send(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
    data = fastpath.message_send(frame) or consumer.validated(WsMessageSend, frame, ref)
    session = (consumer.session_key, consumer.auth_at)
    if message_options.is_plain(data.get("attachments"), message_options.of_frame(data)):
        sent = await async_send.send(consumer.user, data, consumer.channel_name, session)
        if sent is not None:  # stored and fanned out, from the event loop
            consumer.session_checked = True
            await consumer.send_frame(frames.message_ack(data["client_id"], sent, ref))
            return
    done = await send_message(consumer.user, data, consumer.channel_name, session)
    if done is None:
        await consumer.session_over()
        return
    message, fan_out = done
    consumer.session_checked = True
    await events.fan_out(fan_out)
    await consumer.send_frame(frames.message_ack(data["client_id"], message, ref))


@guard
async def on_message_edit(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsMessageEdit, frame, ref)
    await edit_message(consumer.user, data["message"], data["body"])


@guard
async def on_message_delete(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsMessageDelete, frame, ref)
    await delete_message(consumer.user, data["message"])


@guard
async def on_message_acknowledge(
    consumer: ChatSocket, frame: dict[str, Any], ref: str | None
) -> None:
    data = consumer.validated(WsMessageAcknowledge, frame, ref)
    done = await acknowledge_message(consumer.user, data["message"])
    await consumer.send_frame(
        frames.message_acknowledged(
            done.conversation, done.message, done.acknowledgement, answer_to=ref
        )
    )


@guard
async def on_read(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsRead, frame, ref)
    await mark_read(consumer.user, data["conversation"], data["seq"])


@guard
async def on_typing(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsTyping, frame, ref)
    conversation = str(data["conversation"])
    members = await consumer.members_of(conversation, ref)
    now = time.monotonic()
    if now - consumer.typing_sent.get(conversation, 0.0) < TYPING_MIN_INTERVAL:
        return  # ephemeral: extra typing frames are dropped quietly
    consumer.typing_sent[conversation] = now
    typing_frame = frames.typing(conversation, consumer.user.pk)
    for user_id in members - {str(consumer.user.pk)}:
        await consumer.channel_layer.group_send(
            events.user_group(user_id), {"type": "deliver", "frame": typing_frame}
        )


@guard
async def on_sync(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsSync, frame, ref)
    messages, more, unknown = await sync_messages(consumer.user, data["cursors"])
    await consumer.send_frame(frames.sync(messages, more, ref, unknown))


@guard
async def on_presence_set(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsPresenceSet, frame, ref)
    before, after = await database_sync_to_async(presence.set_status)(
        consumer.user.pk, consumer.channel_name, data["status"]
    )
    if before != after:
        contacts = await database_sync_to_async(presence.contacts_of)(consumer.user.pk)
        await consumer.broadcast_presence(contacts, after)


@guard
async def on_presence_query(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsPresenceQuery, frame, ref)
    states = await database_sync_to_async(presence.visible_status)(consumer.user.pk, data["users"])
    await consumer.send_frame(frames.presence_state(states, ref))


async def on_ping(consumer: ChatSocket, frame: dict[str, Any], ref: str | None) -> None:
    # The consumer stamped `last_heard`; the liveness loop refreshes the Connection row of
    # every socket of the process in one statement per period (liveness.py).
    await consumer.send_frame(frames.pong(ref))


HANDLERS: dict[str, Handler] = {
    "message.send": on_message_send,
    "message.edit": on_message_edit,
    "message.delete": on_message_delete,
    "message.acknowledge": on_message_acknowledge,
    "read": on_read,
    "typing": on_typing,
    "sync": on_sync,
    "presence.set": on_presence_set,
    "presence.query": on_presence_query,
    "ping": on_ping,
    **{name: guard(handler) for name, handler in ws_calls.CALL_HANDLERS.items()},
}
