"""Patient access: a record is visible to clinical members of the organisation keeping it."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from backend.accounts.access import clinical_organization_ids, require_clinical_access
from backend.errors import NotFound
from backend.patients.models import Patient

__all__ = ["access_patient", "patients_for", "require_clinical_access"]


def patients_for(user: Any) -> QuerySet[Patient]:
    return Patient.objects.filter(organization_id__in=clinical_organization_ids(user))


def access_patient(user: Any, patient_id: uuid.UUID | str) -> Patient:
    """The patient, or one "not found" for both missing and not visible."""
    try:
        key = uuid.UUID(str(patient_id))
    except ValueError as exc:
        raise NotFound("Patient introuvable.") from exc
    patient = patients_for(user).filter(pk=key).first()
    if patient is None:
        raise NotFound("Patient introuvable.")
    return patient
