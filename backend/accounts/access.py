"""Who may do what, from memberships. Querysets are always scoped through these helpers."""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework import status

from backend.accounts.models import Membership, Professional
from backend.api.errors import ApiError

# Roles that may see clinical content (patients, messages, requests, reports).
CLINICAL_ROLES = frozenset(
    {
        Membership.Role.CLINICIAN,
        Membership.Role.COORDINATOR,
        Membership.Role.SECRETARY,
        Membership.Role.ADMIN,
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
        raise ApiError("forbidden", message, status.HTTP_403_FORBIDDEN)


def can_take_part(user: Any) -> bool:
    """May be a participant of clinical exchanges: an active human with a clinical role."""
    return bool(user.is_active and not user.is_service and has_clinical_access(user))
