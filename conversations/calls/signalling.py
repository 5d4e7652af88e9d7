"""Call signalling over /ws/: the call frames' handlers, and where a signal goes.

Each frame is validated, its call action runs in a worker thread, the answer and relays follow.

`call.signal` (SDP offers and answers, ICE candidates) is relayed and never stored: only to the
addressee's socket in the call, or to all of their sockets before they joined.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from channels.db import database_sync_to_async

from backend.errors import DomainError, Kind, NotFound
from conversations import actions, events, frames
from conversations.access import conversations_for, participant_user_ids
from conversations.calls import actions as calls
from conversations.calls.lifecycle import (
    call_key,
    conversation_of,
    expire_if_unanswered,
    joined,
    require_open,
    ring_seconds,
    socket_owns_expiry,
)
from conversations.calls.models import Call
from conversations.calls.representations import call_json
from conversations.calls.serializers import WsCallDecline, WsCallInvite, WsCallRef, WsCallSignal
from conversations.payloads import CallPayload


class Socket(Protocol):
    """What a call handler needs of the consumer (which imports this module)."""

    user: Any
    channel_name: str
    channel_layer: Any

    def validated(self, form_class: Any, frame: dict[str, Any], ref: Any) -> dict[str, Any]: ...

    async def send_frame(self, frame: Mapping[str, Any]) -> None: ...

    def run_later(self, delay: float, job: Any, *args: Any) -> None: ...


SIGNAL_MAX_BYTES = 32 * 1024


@dataclass(frozen=True)
class SignalRoute:
    call_id: uuid.UUID
    user_id: uuid.UUID
    channel_name: str  # the addressee's socket in the call, or "" for all of their sockets


def signal_route(user: Any, call_id: Any, to: Any) -> SignalRoute:
    """Where a `call.signal` goes: both ends take part in the call's conversation, the call is
    not over. Nothing is stored: SDP and ICE candidates are relayed, never kept."""
    expire_if_unanswered(call_id)
    actions.require_clinician(user)
    key = call_key(call_id)
    call = Call.objects.filter(pk=key, conversation__in=conversations_for(user)).first()
    if call is None:
        raise NotFound("Appel introuvable.")
    require_open(call)
    try:
        target = uuid.UUID(str(to))
    except ValueError as exc:
        raise NotFound("Destinataire introuvable dans cet appel.") from exc
    if target == user.pk:
        raise DomainError("invalid", "On ne s'envoie pas de signal à soi-même.")
    if target not in participant_user_ids(conversation_of(call)):
        raise NotFound("Destinataire introuvable dans cet appel.")
    stretch = joined(call).filter(user_id=target).exclude(channel_name="").first()
    return SignalRoute(call.pk, target, stretch.channel_name if stretch else "")


# --- database side -------------------------------------------------------------------------
@database_sync_to_async
def _invite(user: Any, conversation: Any, channel: str) -> CallPayload:
    return call_json(calls.invite(user, conversation, channel))


@database_sync_to_async
def _accept(user: Any, call: Any, channel: str) -> CallPayload:
    return call_json(calls.accept(user, call, channel))


@database_sync_to_async
def _decline(user: Any, call: Any, reason: str) -> CallPayload:
    return call_json(calls.decline(user, call, reason))


@database_sync_to_async
def _hangup(user: Any, call: Any) -> CallPayload:
    return call_json(calls.hangup(user, call))


_signal_route = database_sync_to_async(signal_route)
_expire = database_sync_to_async(expire_if_unanswered)
leave_calls_of_channel = database_sync_to_async(calls.leave_calls_of_channel)


# --- handlers (wrapped by ws_dispatch.guard) --------------------------------------------------


async def on_call_invite(consumer: Socket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsCallInvite, frame, ref)
    call = await _invite(consumer.user, data["conversation"], consumer.channel_name)
    await consumer.send_frame(frames.call_ringing(call, ref))
    if call["state"] == Call.State.RINGING and socket_owns_expiry():
        # The embedded mode only; elsewhere the invite's Celery countdown ends the call.
        consumer.run_later(ring_seconds() + 1, _expire, call["id"])


async def on_call_accept(consumer: Socket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsCallRef, frame, ref)
    call = await _accept(consumer.user, data["call"], consumer.channel_name)
    await consumer.send_frame(frames.call_accept(call, consumer.user.pk, answer_to=ref))


async def on_call_decline(consumer: Socket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsCallDecline, frame, ref)
    call = await _decline(consumer.user, data["call"], data["reason"])
    answer = frames.call_decline(call, consumer.user.pk, data["reason"], answer_to=ref)
    await consumer.send_frame(answer)


async def on_call_hangup(consumer: Socket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsCallRef, frame, ref)
    call = await _hangup(consumer.user, data["call"])
    await consumer.send_frame(frames.call_hangup(call, consumer.user.pk, answer_to=ref))


async def on_call_signal(consumer: Socket, frame: dict[str, Any], ref: str | None) -> None:
    data = consumer.validated(WsCallSignal, frame, ref)
    if len(json.dumps(data["data"]).encode()) > SIGNAL_MAX_BYTES:
        raise DomainError("signal_too_large", "Signal trop volumineux.", Kind.TOO_LARGE)
    route = await _signal_route(consumer.user, data["call"], data["to"])
    relayed = {
        "type": "deliver",
        "frame": frames.call_signal(route.call_id, consumer.user.pk, data["data"]),
    }
    if route.channel_name:
        await consumer.channel_layer.send(route.channel_name, relayed)
    else:
        await consumer.channel_layer.group_send(events.user_group(route.user_id), relayed)


CALL_HANDLERS = {
    "call.invite": on_call_invite,
    "call.accept": on_call_accept,
    "call.decline": on_call_decline,
    "call.hangup": on_call_hangup,
    "call.signal": on_call_signal,
}
