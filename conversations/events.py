"""The only door from actions to the channel layer (frames themselves are declared in `frames`).

Frames are sent after the transaction commits: a client is never told about a message that a
rollback then erases. The channel layer is fan-out only; clients catch up from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)
Json = dict[str, Any]


def user_group(user_id: uuid.UUID | str) -> str:
    return f"user.{user_id}"


def encode(frame: Mapping[str, Any]) -> str:
    """A frame's text on the socket (the consumer's `send_frame` uses the same). A lone UTF-16
    surrogate (JSON may escape one, e.g. in a ref or a sync cursor key that an answer echoes) has
    no UTF-8 form, which daphne needs: such text goes out escaped as JSON escaped it coming in."""
    text = json.dumps(frame, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(frame, ensure_ascii=True, default=str)
    return text


# --- Fan-out ---------------------------------------------------------------------------------
# A WebSocket handler running an action in a worker thread collects the fan-out here and sends
# it from the event loop once the action returned (committed): no hop back into the loop from
# the thread. Everything else (REST, tasks) sends at commit with async_to_sync.
_deferred: contextvars.ContextVar[list[Json] | None] = contextvars.ContextVar(
    "deferred_fan_out", default=None
)


@contextlib.contextmanager
def deferred_fan_out() -> Iterator[list[Json]]:
    pending: list[Json] = []
    token = _deferred.set(pending)
    try:
        yield pending
    finally:
        _deferred.reset(token)


async def _group_send_all(layer: Any, user_ids: list[str], payload: Json) -> None:
    many = getattr(layer, "group_send_many", None)
    if many is not None and len(user_ids) > 1:  # Redis: one pipelined round trip
        try:
            await many([user_group(u) for u in user_ids], payload)
        except Exception:
            logger.exception("fan-out failed", extra={"event": payload.get("kind")})
        return
    for user_id in user_ids:
        try:
            await layer.group_send(user_group(user_id), payload)
        except Exception:
            # Fan-out is best effort: the message is stored, clients resync from their cursor.
            logger.exception("fan-out failed", extra={"event": payload.get("kind")})


async def fan_out(pending: list[Json]) -> None:
    """Sends what `deferred_fan_out` collected (from the event loop)."""
    layer = get_channel_layer()
    if layer is None:
        return
    for item in pending:
        await _group_send_all(layer, item["users"], item["payload"])


def deliver_payload(frame: Mapping[str, Any], origin: str | None) -> Json:
    """The channel-layer event that carries `frame` to the sockets of a user group."""
    # Serialised once for every recipient; the consumer sends the text as it is.
    kind = str(frame.get("type", ""))
    payload: Json = {"type": "deliver", "text": encode(frame), "kind": kind, "origin": origin}
    if kind.startswith("conversation."):
        # The consumer forgets its cached members of a conversation whose people changed.
        conversation = frame.get("conversation")
        key = conversation.get("id") if isinstance(conversation, dict) else conversation
        payload["conversation"] = str(key)
    return payload


def _dispatch(user_ids: list[str], frame: Mapping[str, Any], origin: str | None) -> None:
    layer = get_channel_layer()
    if layer is None or not user_ids:
        return
    payload = deliver_payload(frame, origin)
    pending = _deferred.get()
    if pending is not None:
        pending.append({"users": user_ids, "payload": payload})
        return
    try:
        if _loop_runs_here():
            # Sync code called straight from a thread that runs an event loop, where
            # async_to_sync refuses to work: the browser tests' own actions under Playwright's
            # sync API, or a shell inside IPython. The product's paths reach here through
            # sync_to_async threads and take the branch below.
            sender = threading.Thread(
                target=async_to_sync(_group_send_all), args=(layer, user_ids, payload)
            )
            sender.start()
            sender.join()
        else:
            # One hop into the event loop for all recipients, not one per recipient.
            async_to_sync(_group_send_all)(layer, user_ids, payload)
    except Exception:
        logger.exception("fan-out failed", extra={"event": frame.get("type")})


def _loop_runs_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def send_event_on_commit(
    user_ids: Iterable[uuid.UUID | str], frame: Mapping[str, Any], *, origin: str | None = None
) -> None:
    """Deliver `frame` to every socket of these users once the transaction commits.

    `origin` is the channel of the socket that caused the event: it already got its answer
    (e.g. message.ack) and skips the copy.
    """
    targets = sorted({str(u) for u in user_ids})
    transaction.on_commit(lambda: _dispatch(targets, frame, origin))
