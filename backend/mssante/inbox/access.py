"""Who may read which inbox: the owner of a PER box, the members of an ORG box, the service
account of an APP box. Clinical content (subject, text, attachments, patient) only for users
with a clinical role, whatever the path (a team mailbox included)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from backend.accounts.access import has_clinical_access
from backend.accounts.models import Mailbox
from backend.errors import NotFound
from backend.mssante.access import sendable_mailboxes
from backend.mssante.inbox.models import InboundMessage

__all__ = ["access_inbound", "access_mailbox", "inbound_for", "readable_mailboxes"]


def readable_mailboxes(user: Any) -> QuerySet[Mailbox]:
    return sendable_mailboxes(user)


def access_mailbox(user: Any, mailbox_id: uuid.UUID | str) -> Mailbox:
    try:
        key = uuid.UUID(str(mailbox_id))
    except ValueError as exc:
        raise NotFound("BAL introuvable.") from exc
    mailbox = readable_mailboxes(user).filter(pk=key).first()
    if mailbox is None:
        raise NotFound("BAL introuvable.")
    return mailbox


def inbound_for(user: Any) -> QuerySet[InboundMessage]:
    return InboundMessage.objects.filter(mailbox__in=readable_mailboxes(user))


def access_inbound(user: Any, message_id: uuid.UUID | str) -> InboundMessage:
    try:
        key = uuid.UUID(str(message_id))
    except ValueError as exc:
        raise NotFound("Courrier introuvable.") from exc
    message = inbound_for(user).select_related("mailbox").filter(pk=key).first()
    if message is None:
        raise NotFound("Courrier introuvable.")
    return message


def may_read_content(user: Any) -> bool:
    return has_clinical_access(user)
