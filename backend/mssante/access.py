"""Which mailboxes a user may send from, and which outbound messages they may see."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from backend.accounts.access import professional_of, team_mailbox_ids
from backend.accounts.models import Mailbox
from backend.errors import DomainError, Kind, NotFound
from backend.mssante.models import OutboundMessage

__all__ = ["access_message", "access_sender_mailbox", "messages_for", "sendable_mailboxes"]


def sendable_mailboxes(user: Any) -> QuerySet[Mailbox]:
    """Active mailboxes ``user`` may send from: their own PER, the ORG mailboxes they are a
    member of, and the APP mailbox whose service account they are."""
    if not getattr(user, "is_authenticated", False):
        return Mailbox.objects.none()
    rule = Q(kind=Mailbox.Kind.APPLICATION, service_user=user)
    professional = professional_of(user)
    if professional is not None:
        rule |= Q(kind=Mailbox.Kind.PERSONAL, professional=professional)
        # ORG mailboxes only where the member holds a clinical role in its organisation.
        rule |= Q(kind=Mailbox.Kind.ORGANIZATIONAL, pk__in=team_mailbox_ids(user))
    return Mailbox.objects.filter(rule, active=True).distinct()


def access_sender_mailbox(user: Any, address: str) -> Mailbox:
    """The mailbox at ``address`` if ``user`` may send from it; one "not found" otherwise."""
    mailbox = sendable_mailboxes(user).filter(address=address.strip().lower()).first()
    if mailbox is None:
        message = "Vous ne pouvez pas envoyer depuis cette BAL MSSanté."
        raise DomainError("not_found", message, Kind.NOT_FOUND, fields={"from": [message]})
    return mailbox


def messages_for(user: Any) -> QuerySet[OutboundMessage]:
    """Messages the user sent, and those sent from an ORG mailbox they are a member of."""
    if not getattr(user, "is_authenticated", False):
        return OutboundMessage.objects.none()
    rule = Q(created_by=user)
    professional = professional_of(user)
    if professional is not None:
        rule |= Q(
            sender_mailbox__kind=Mailbox.Kind.ORGANIZATIONAL,
            sender_mailbox_id__in=team_mailbox_ids(user),
        )
    return OutboundMessage.objects.filter(rule).distinct()


def access_message(user: Any, message_id: uuid.UUID | str) -> OutboundMessage:
    try:
        key = uuid.UUID(str(message_id))
    except ValueError as exc:
        raise NotFound("Envoi MSSanté introuvable.") from exc
    message = messages_for(user).filter(pk=key).first()
    if message is None:
        raise NotFound("Envoi MSSanté introuvable.")
    return message
