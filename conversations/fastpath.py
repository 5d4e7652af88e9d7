"""Frame validation without DRF for the frames of the message path (issue #21: the serializers
cost more CPU than the rest of a relay). A frame that passes these checks gets exactly what the
serializers would give; anything else goes to the serializers, which answer as before (same
errors, same fields)."""

from __future__ import annotations

import uuid
from typing import Any

from conversations.serializers import CLIENT_ID

_MISSING = object()


def _plain_text(value: Any, max_length: int | None = None) -> bool:
    """A string DRF's CharField keeps as it is: not blank, nothing to trim, no NUL, no lone
    surrogate, within the length."""
    if not isinstance(value, str) or not value or value != value.strip():
        return False
    if max_length is not None and len(value) > max_length:
        return False
    return _clean(value)


def _clean(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which CharField refuses
        return False
    return True


def header(frame: dict[str, Any]) -> tuple[bool, str | None]:
    """(True, ref) when `FrameSerializer` would accept the frame's type and ref unchanged."""
    ref = frame.get("ref")
    if not _plain_text(frame.get("type"), 40):
        return False, None
    if ref is None or _plain_text(ref, 64):
        return True, ref
    return False, None


def message_send(frame: dict[str, Any]) -> dict[str, Any] | None:
    """`WsMessageSend`'s validated data for a plain frame, None when the serializer must judge."""
    client_id, body = frame.get("client_id"), frame.get("body")
    attachments = frame.get("attachments", _MISSING)
    if attachments is not _MISSING and attachments != []:
        return None
    if frame.get("reply_to") is not None or frame.get("urgent", False) is not False:
        return None  # a reply or an urgent message: the serializer reads those
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        return None
    if not isinstance(body, str) or not _clean(body):
        return None
    raw = frame.get("conversation")
    if not isinstance(raw, str):
        return None
    try:
        conversation = uuid.UUID(hex=raw)
    except ValueError:
        return None
    return {
        "client_id": client_id,
        "body": body,
        "attachments": [],
        "reply_to": None,
        "urgent": False,
        "conversation": conversation,
    }
