"""Patient access: a record is visible to clinical members of the organisation keeping it."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from backend.accounts.access import CLINICAL_ROLES, organization_ids, require_clinical_access
from backend.errors import NotFound
from backend.patients.models import Patient

__all__ = ["access_patient", "care_organization_ids", "patients_for", "require_clinical_access"]


# Patient records are for care: the same roles as every clinical content (accounts/access.py);
# an organisation's administration role alone opens none.
CARE_ROLES = CLINICAL_ROLES


def care_organization_ids(user: Any) -> set[uuid.UUID]:
    return organization_ids(user, CARE_ROLES)


def patients_for(user: Any) -> QuerySet[Patient]:
    return Patient.objects.filter(organization_id__in=care_organization_ids(user))


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
