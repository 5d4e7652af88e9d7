"""Patient state changes, and the audited reads of patient data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from backend.accounts.models import Organization
from backend.api.errors import Conflict
from backend.audit import log as audit
from backend.patients.models import Patient


@transaction.atomic
def create_patient(actor: Any, organization: Organization, **fields: Any) -> Patient:
    try:
        with transaction.atomic():
            patient = Patient.objects.create(organization=organization, created_by=actor, **fields)
    except IntegrityError as exc:
        raise Conflict(
            "patient_exists",
            "Un patient avec cet INS existe déjà dans votre structure.",
        ) from exc
    audit.record(
        "patient.created",
        actor=actor,
        obj=patient,
        patient_id=patient.pk,
        organization=organization,
        data={"identity_status": patient.identity_status},
    )
    return patient


@transaction.atomic
def record_patient_reads(actor: Any, patients: Iterable[Patient], context: str) -> None:
    """Every read of patient data leaves an event (DESIGN.md invariants)."""
    for patient in patients:
        audit.record(
            "patient.read",
            actor=actor,
            obj=patient,
            patient_id=patient.pk,
            organization=patient.organization,
            data={"context": context},
        )
