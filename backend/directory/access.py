"""Which mailboxes a user may put on (or take off) the liste rouge."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from backend.accounts.access import professional_of
from backend.accounts.models import Mailbox, Membership
from backend.errors import NotFound


def managed_mailboxes(user: Any) -> QuerySet[Mailbox]:
    """A PER mailbox by its owner; an ORG mailbox by its responsible or an administrator of its
    organisation. APP mailboxes are never published, so there is nothing to hide."""
    professional = professional_of(user)
    if professional is None:
        return Mailbox.objects.none()
    is_admin = Exists(
        Membership.objects.filter(
            professional=professional,
            organization=OuterRef("organization"),
            role=Membership.Role.ADMIN,
        )
    )
    return Mailbox.objects.filter(active=True).filter(
        Q(kind=Mailbox.Kind.PERSONAL, professional=professional)
        | Q(kind=Mailbox.Kind.ORGANIZATIONAL) & (Q(responsible=professional) | Q(is_admin))
    )


def access_managed_mailbox(user: Any, address: str) -> Mailbox:
    """The mailbox, or one "not found" for both a missing and someone else's mailbox."""
    mailbox = (
        managed_mailboxes(user)
        .select_related("organization")
        .filter(address=address.strip().lower())
        .first()
    )
    if mailbox is None:
        raise NotFound("Boîte aux lettres introuvable.")
    return mailbox
