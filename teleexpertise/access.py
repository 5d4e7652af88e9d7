"""Who sees a teleexpertise request: its two parties. Billing staff never do.

Team routing (a request addressed to an ORG mailbox, seen by its members) is not implemented:
every request names one expert, so the parties are exactly the requester and the expert.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from backend.accounts.access import has_clinical_access
from backend.api.errors import NotFound
from backend.patients.access import require_clinical_access
from teleexpertise.models import TeleexpertiseRequest

__all__ = ["access_request", "party_user_ids", "requests_for", "require_clinical_access"]


def requests_for(user: Any) -> QuerySet[TeleexpertiseRequest]:
    if not getattr(user, "is_authenticated", False) or not has_clinical_access(user):
        return TeleexpertiseRequest.objects.none()
    return TeleexpertiseRequest.objects.filter(Q(requester=user) | Q(expert=user))


def access_request(user: Any, request_id: Any, *, for_update: bool = False) -> TeleexpertiseRequest:
    """The request, or one "not found" for both missing and not a party."""
    try:
        key = uuid.UUID(str(request_id))
    except ValueError as exc:
        raise NotFound("Demande de téléexpertise introuvable.") from exc
    if not requests_for(user).filter(pk=key).exists():
        raise NotFound("Demande de téléexpertise introuvable.")
    queryset = TeleexpertiseRequest.objects.select_related(
        "patient", "requester__professional", "expert__professional"
    )
    if for_update:
        # Lock the request row only (select_related would lock the joined rows too on Postgres).
        TeleexpertiseRequest.objects.select_for_update().filter(pk=key).first()
    return queryset.get(pk=key)


def party_user_ids(request: TeleexpertiseRequest) -> list[uuid.UUID]:
    return [request.requester_id, request.expert_id]
