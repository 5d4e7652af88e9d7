"""The request lists: « Mes demandes » and the experts' « Demandes reçues », with filters."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from backend.audit import log as audit
from teleexpertise.access import received_filter, requests_for
from teleexpertise.models import TeleexpertiseRequest
from teleexpertise.representations import OPEN_STATUSES, answer_days

SOON_DAYS = 2


def filtered_requests(user: Any, data: Mapping[str, Any]) -> QuerySet[TeleexpertiseRequest]:
    """``data``: the filters, validated by the view (RequestFilterSerializer)."""
    queryset = requests_for(user)
    if state := data.get("status"):
        queryset = queryset.filter(status=state)
    role = data.get("role")
    if role == "sent":
        queryset = queryset.filter(requester_id=user.pk)
    elif role == "received":
        queryset = queryset.filter(received_filter(user))
    if urgency := data.get("urgency"):
        queryset = queryset.filter(urgency=urgency)
    if due := data.get("due"):
        # due_at = created_at + answer delay: compare created_at with the shifted bound.
        limit = timezone.now() - datetime.timedelta(days=answer_days())
        if due == "soon":
            limit += datetime.timedelta(days=SOON_DAYS)
        queryset = queryset.filter(status__in=OPEN_STATUSES, created_at__lt=limit)
    return queryset.select_related(
        "patient", "requester__professional", "expert__professional", "team_mailbox"
    ).order_by("-created_at")


def pending_count(user: Any) -> int:
    """The badge: received requests still waiting for the expert (submitted or accepted)."""
    return (
        requests_for(user)
        .filter(received_filter(user), status__in=OPEN_STATUSES)
        .values("pk")
        .distinct()
        .count()
    )


def record_list_read(user: Any, rows: list[TeleexpertiseRequest]) -> None:
    """A list shows patients' names: one audit event per patient listed."""
    with transaction.atomic():
        patients = {r.patient_id: r.patient for r in rows}
        for patient_id, patient in patients.items():
            audit.record(
                "teleexpertise.list_read",
                actor=user,
                object_type="teleexpertise.request",
                patient_id=patient_id,
                organization=patient.organization,
            )
