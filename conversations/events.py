"""Server -> client frames, declared once, and the only door from actions to the channel layer.

Frames are sent after the transaction commits: a client is never told about a message that a
rollback then erases. The channel layer is fan-out only; clients catch up from the database.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)
Json = dict[str, Any]


def user_group(user_id: uuid.UUID | str) -> str:
    return f"user.{user_id}"


# --- Frame schemas (server -> client) --------------------------------------------------------
def message_new(message: Json) -> Json:
    return {"type": "message.new", "message": message}


def message_updated(message: Json) -> Json:
    return {"type": "message.updated", "message": message}


def message_ack(client_id: str, message: Json, ref: str | None) -> Json:
    return {"type": "message.ack", "client_id": client_id, "message": message, "ref": ref}


def read(conversation_id: Any, user_id: Any, seq: int, reader: Json | None = None) -> Json:
    frame = {"type": "read", "conversation": str(conversation_id), "user": str(user_id), "seq": seq}
    if reader is not None:
        # Who read, in full: a team mailbox member is not among the conversation's participants,
        # and the others' « Vu par » must name them live, whenever they joined the team.
        frame["reader"] = reader
    return frame


def typing(conversation_id: Any, user_id: Any) -> Json:
    return {"type": "typing", "conversation": str(conversation_id), "user": str(user_id)}


def presence(user_id: Any, status: str) -> Json:
    return {"type": "presence", "user": str(user_id), "status": status}


def conversation_new(conversation: Json) -> Json:
    return {"type": "conversation.new", "conversation": conversation}


def sync(messages: list[Json], more: bool, ref: str | None) -> Json:
    return {"type": "sync", "messages": messages, "more": more, "ref": ref}


def hello(user_id: Any, presence_by_user: dict[str, str]) -> Json:
    return {"type": "hello", "user": str(user_id), "presence": presence_by_user}


def error(code: str, message: str, ref: str | None = None, fields: Json | None = None) -> Json:
    frame: Json = {"type": "error", "code": code, "message": message, "ref": ref}
    if fields:
        frame["fields"] = fields
    return frame


# --- Fan-out ---------------------------------------------------------------------------------
async def _group_send_all(layer: Any, user_ids: list[str], payload: Json) -> None:
    for user_id in user_ids:
        try:
            await layer.group_send(user_group(user_id), payload)
        except Exception:
            # Fan-out is best effort: the message is stored, clients resync from their cursor.
            logger.exception("fan-out failed", extra={"event": payload["frame"].get("type")})


def _dispatch(user_ids: list[str], frame: Json, origin: str | None) -> None:
    layer = get_channel_layer()
    if layer is None or not user_ids:
        return
    payload = {"type": "deliver", "frame": frame, "origin": origin}
    try:
        # One hop into the event loop for all recipients, not one per recipient.
        async_to_sync(_group_send_all)(layer, user_ids, payload)
    except Exception:
        logger.exception("fan-out failed", extra={"event": frame.get("type")})


def send_event_on_commit(
    user_ids: Iterable[uuid.UUID | str], frame: Json, *, origin: str | None = None
) -> None:
    """Deliver `frame` to every socket of these users once the transaction commits.

    `origin` is the channel of the socket that caused the event: it already got its answer
    (e.g. message.ack) and skips the copy.
    """
    targets = sorted({str(u) for u in user_ids})
    transaction.on_commit(lambda: _dispatch(targets, frame, origin))
