"""Who may do what, from memberships. Querysets are always scoped through these helpers."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import F

from backend.accounts.models import Mailbox, Membership, Professional
from backend.errors import DomainError, Kind

# Roles that may see clinical content (patients, messages, requests, reports): the care team
# and those who work for it (secretariat, coordination). An organisation's administration role
# alone is not one of them (shared professional secrecy, CSP art. L1110-4, covers those who take
# part in the care): it manages the organisation and reads the access journal and the message
# versions kept for the audit (audit/), never the exchanges themselves.
CLINICAL_ROLES = frozenset(
    {
        Membership.Role.CLINICIAN,
        Membership.Role.COORDINATOR,
        Membership.Role.SECRETARY,
    }
)


def professional_of(user: Any) -> Professional | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "professional", None)


def organization_ids(user: Any, roles: frozenset[str] | set[str] | None = None) -> set[uuid.UUID]:
    professional = professional_of(user)
    if professional is None:
        return set()
    memberships = Membership.objects.filter(professional=professional)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return set(memberships.values_list("organization_id", flat=True))


def clinical_organization_ids(user: Any) -> set[uuid.UUID]:
    return organization_ids(user, CLINICAL_ROLES)


def has_clinical_access(user: Any) -> bool:
    """Billing-only staff have none: they see acts, never clinical content."""
    professional = professional_of(user)
    if professional is None:
        return False
    return Membership.objects.filter(professional=professional, role__in=CLINICAL_ROLES).exists()


def require_clinical_access(
    user: Any, message: str = "Votre rôle ne donne pas accès aux données cliniques."
) -> None:
    """403 for billing-only staff (and anyone without a clinical role)."""
    if not has_clinical_access(user):
        raise DomainError("forbidden", message, Kind.FORBIDDEN)


def can_take_part(user: Any) -> bool:
    """May be a participant of clinical exchanges: an active human with a clinical role."""
    return bool(user.is_active and not user.is_service and has_clinical_access(user))


def team_mailbox_ids(user: Any) -> set[uuid.UUID]:
    """The ORG mailboxes through which ``user`` takes part in clinical exchanges: active ones they
    are a member of AND in whose organisation they hold a clinical role. Membership of a team
    alone carries nothing (a billing clerk following the team's acts sees no message)."""
    professional = professional_of(user)
    if professional is None or not getattr(user, "is_active", False):
        return set()
    return set(
        Mailbox.objects.filter(
            kind=Mailbox.Kind.ORGANIZATIONAL,
            active=True,
            members=professional,
            organization_id__in=clinical_organization_ids(user),
        ).values_list("pk", flat=True)
    )


def clinical_member_user_ids(mailbox_ids: set[uuid.UUID] | list[uuid.UUID]) -> set[uuid.UUID]:
    """Users who see what reaches these ORG mailboxes: members with a clinical role in the
    mailbox's own organisation (the same rule as ``team_mailbox_ids``, from the other side)."""
    if not mailbox_ids:
        return set()
    return set(
        Professional.objects.filter(
            team_mailboxes__in=mailbox_ids,
            team_mailboxes__active=True,
            team_mailboxes__kind=Mailbox.Kind.ORGANIZATIONAL,
            memberships__role__in=CLINICAL_ROLES,
            memberships__organization=F("team_mailboxes__organization"),
            user__is_active=True,
        ).values_list("user_id", flat=True)
    )


def team_mailboxes_query(user_id: Any) -> Any:
    """The mailboxes of ``team_mailbox_ids`` as an unevaluated queryset, by user id, to be embedded
    in a larger statement (the send path checks participation inside its one UPDATE); the
    caller checks first that the user is active and a professional, as ``team_mailbox_ids``."""
    return Mailbox.objects.filter(
        kind=Mailbox.Kind.ORGANIZATIONAL,
        active=True,
        members__user_id=user_id,
        organization_id__in=Membership.objects.filter(
            professional__user_id=user_id, role__in=CLINICAL_ROLES
        ).values("organization_id"),
    ).values("pk")
