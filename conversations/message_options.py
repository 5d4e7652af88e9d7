"""What a message may be besides its text: a reply, urgent, forwarded (issue #18, item 8)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from backend.errors import DomainError
from conversations.models import Conversation, Message


@dataclass(frozen=True)
class SendOptions:
    """What a message may be besides its text: a reply (quoting a message of the same
    conversation), urgent (to be acknowledged), or forwarded from another conversation."""

    reply_to: uuid.UUID | str | None = None
    urgent: bool = False
    forwarded: bool = False


PLAIN = SendOptions()


def of_frame(data: dict[str, Any]) -> SendOptions:
    """The options of a validated `message.send` frame."""
    return SendOptions(reply_to=data.get("reply_to"), urgent=bool(data.get("urgent")))


def is_plain(attachment_ids: Any, options: SendOptions) -> bool:
    """Text only: what the one-statement send stores (`conversations.send_statement`)."""
    return not attachment_ids and options == PLAIN


def replied_message(conversation: Conversation, reply_to: Any) -> Message | None:
    """The message a reply quotes: one of the same conversation (deleted or not)."""
    if reply_to in (None, ""):
        return None
    try:
        key = uuid.UUID(str(reply_to))
    except ValueError:
        key = None
    quoted = Message.objects.filter(pk=key, conversation=conversation).first() if key else None
    if quoted is None:
        raise DomainError(
            "reply_invalid",
            "Le message auquel vous répondez n'est pas dans cette conversation.",
            fields={"reply_to": ["Message introuvable dans cette conversation."]},
        )
    return quoted
