"""The database side of WebSocket frames: small sync functions run in worker threads, calling
the same actions as the REST API (Channels: database_sync_to_async)."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from typing import Any

from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from django.db import InterfaceError, OperationalError, connection, connections
from django.db.models import Q

from backend.accounts import sessions
from conversations import actions, events, message_options, urgent
from conversations.access import access_conversation, conversations_for, participant_user_ids
from conversations.models import Message
from conversations.payloads import MessagePayload
from conversations.representations import message_json, messages_json

SYNC_MAX_MESSAGES = 1000
# daphne refuses to send a WebSocket message over 1 MiB: a sync answer stays well under it (1,000
# long messages are many MiB), and says `more`.
SYNC_MAX_BYTES = 512 * 1024


class _MessagePathTrip(SyncToAsync):
    """The worker-thread trip of `message.send`, without Channels' `close_old_connections` and
    the health check query it causes at every frame (issue #21: a sixth of the path's CPU).
    The connection is looked after here instead: closed after an error or past its age, and a
    send that meets a dead connection is retried once on a new one (a send is idempotent by
    its client_id)."""

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            for conn in connections.all(initialized_only=True):
                expired = conn.close_at is not None and time.monotonic() >= conn.close_at
                if conn.errors_occurred or expired:
                    conn.close()


def _send(
    user: Any, data: dict[str, Any], origin: str, session: tuple[str | None, float | None]
) -> tuple[MessagePayload, list[dict[str, Any]]] | None:
    if not sessions.session_is_alive(session[0], user.pk, session[1]):
        return None
    with events.deferred_fan_out() as pending:
        result = actions.send_message(
            user,
            data["conversation"],
            client_id=data["client_id"],
            body=data["body"],
            attachment_ids=data.get("attachments") or [],
            origin=origin,
            options=message_options.of_frame(data),
        )
    return result.payload or message_json(result.message), pending


@_MessagePathTrip
def send_message(
    user: Any, data: dict[str, Any], origin: str, session: tuple[str | None, float | None]
) -> tuple[MessagePayload, list[dict[str, Any]]] | None:
    """The session check and the action in one trip to a worker thread (None: the session is
    over); the fan-out comes back to be sent from the event loop, after the commit."""
    try:
        return _send(user, data, origin, session)
    except (InterfaceError, OperationalError):
        if connection.connection is not None and connection.is_usable():
            raise  # the database refused something: not a dead connection
        connection.close()
        return _send(user, data, origin, session)


@database_sync_to_async
def acknowledge_message(user: Any, message_id: uuid.UUID) -> urgent.AckResult:
    return urgent.acknowledge_message(user, message_id)


@database_sync_to_async
def edit_message(user: Any, message_id: uuid.UUID, body: str) -> None:
    actions.edit_message(user, message_id, body)


@database_sync_to_async
def delete_message(user: Any, message_id: uuid.UUID) -> None:
    actions.delete_message(user, message_id)


@database_sync_to_async
def mark_read(user: Any, conversation_id: uuid.UUID, seq: int) -> None:
    actions.mark_read(user, conversation_id, seq)


@database_sync_to_async
def conversation_members(user: Any, conversation_id: str, ref: Any) -> set[str]:
    conversation = access_conversation(user, conversation_id)
    return {str(u) for u in participant_user_ids(conversation)}


@database_sync_to_async
def sync_messages(
    user: Any, cursors: dict[str, int]
) -> tuple[list[MessagePayload], bool, list[str]]:
    """Every message after each cursor, in (conversation, seq) order, up to a cap; `more` says
    the client should sync again from its new cursors. Unknown ids are listed, not fatal: a
    client removed from a conversation keeps syncing the others."""
    keys: dict[uuid.UUID, int] = {}
    unknown: list[str] = []
    for raw, seq in cursors.items():
        try:
            keys[uuid.UUID(str(raw))] = seq
        except ValueError:
            unknown.append(str(raw)[:64])
    visible = {
        c.pk: c for c in conversations_for(user).filter(pk__in=keys).select_related("patient")
    }
    unknown += [str(k) for k in keys if k not in visible]
    if not visible:
        return [], False, unknown
    after = Q()
    for key, conversation in visible.items():
        after |= Q(conversation=conversation, seq__gt=keys[key])
    page = list(
        Message.objects.filter(after).order_by("conversation_id", "seq")[: SYNC_MAX_MESSAGES + 1]
    )
    more = len(page) > SYNC_MAX_MESSAGES
    page = page[:SYNC_MAX_MESSAGES]
    payloads = messages_json(page)
    kept = _fitting(payloads)
    if kept < len(payloads):
        more, page, payloads = True, page[:kept], payloads[:kept]
    actions.record_histories_read(user, Counter(m.conversation_id for m in page), visible.values())
    return payloads, more, unknown


def _fitting(payloads: list[MessagePayload]) -> int:
    """How many of these messages fit in SYNC_MAX_BYTES of frame text (at least one)."""
    size = 0
    for count, payload in enumerate(payloads):
        size += (
            len(
                json.dumps(payload, ensure_ascii=False, default=str).encode(
                    "utf-8", "surrogatepass"
                )
            )
            + 1
        )
        if size > SYNC_MAX_BYTES and count:
            return count
    return len(payloads)
