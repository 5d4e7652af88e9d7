"""The only door from actions to the channel layer (frames themselves are declared in `frames`).

Frames are sent after the transaction commits: a client is never told about a message that a
rollback then erases. The channel layer is fan-out only; clients catch up from the database.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)
Json = dict[str, Any]


def user_group(user_id: uuid.UUID | str) -> str:
    return f"user.{user_id}"


# --- Fan-out ---------------------------------------------------------------------------------
async def _group_send_all(layer: Any, user_ids: list[str], payload: Json) -> None:
    for user_id in user_ids:
        try:
            await layer.group_send(user_group(user_id), payload)
        except Exception:
            # Fan-out is best effort: the message is stored, clients resync from their cursor.
            logger.exception("fan-out failed", extra={"event": payload["frame"].get("type")})


def _dispatch(user_ids: list[str], frame: Mapping[str, Any], origin: str | None) -> None:
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
    user_ids: Iterable[uuid.UUID | str], frame: Mapping[str, Any], *, origin: str | None = None
) -> None:
    """Deliver `frame` to every socket of these users once the transaction commits.

    `origin` is the channel of the socket that caused the event: it already got its answer
    (e.g. message.ack) and skips the copy.
    """
    targets = sorted({str(u) for u in user_ids})
    transaction.on_commit(lambda: _dispatch(targets, frame, origin))
