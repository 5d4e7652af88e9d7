"""Who sees a teleexpertise request: its two parties, and for a request addressed to a
specialty team, the team mailbox's members with a clinical role. Billing staff never do, even
when they are members of the team mailbox.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from backend.accounts.access import has_clinical_access, team_mailbox_ids
from backend.errors import NotFound
from backend.patients.access import require_clinical_access
from teleexpertise.models import TeleexpertiseRequest
from teleexpertise.team import clinical_members

__all__ = ["access_request", "party_user_ids", "requests_for", "require_clinical_access"]


def received_filter(user: Any) -> Q:
    """Addressed to the user, or to a team mailbox through which the user takes part in clinical
    exchanges (member with a clinical role in its organisation: ``team_mailbox_ids``)."""
    return Q(expert=user) | Q(team_mailbox_id__in=team_mailbox_ids(user))


def requests_for(user: Any) -> QuerySet[TeleexpertiseRequest]:
    if not getattr(user, "is_authenticated", False) or not has_clinical_access(user):
        return TeleexpertiseRequest.objects.none()
    return TeleexpertiseRequest.objects.filter(Q(requester=user) | received_filter(user)).distinct()


def access_request(user: Any, request_id: Any, *, for_update: bool = False) -> TeleexpertiseRequest:
    """The request, or one "not found" for both missing and not a party."""
    try:
        key = uuid.UUID(str(request_id))
    except ValueError as exc:
        raise NotFound("Demande de téléexpertise introuvable.") from exc
    if not requests_for(user).filter(pk=key).exists():
        raise NotFound("Demande de téléexpertise introuvable.")
    queryset = TeleexpertiseRequest.objects.select_related(
        "patient", "requester__professional", "expert__professional", "team_mailbox"
    )
    if for_update:
        # Lock the request row only (select_related would lock the joined rows too on Postgres).
        TeleexpertiseRequest.objects.select_for_update().filter(pk=key).first()
    return queryset.get(pk=key)


def party_user_ids(request: TeleexpertiseRequest) -> list[uuid.UUID]:
    ids = [request.requester_id]
    if request.expert_id is not None:
        ids.append(request.expert_id)
    if request.team_mailbox is not None:
        ids += [u.pk for u in clinical_members(request.team_mailbox) if u.pk not in ids]
    return ids
