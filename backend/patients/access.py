"""Patient access: a record is visible to clinical members of the organisation keeping it."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from rest_framework import status

from backend.accounts.access import clinical_organization_ids, has_clinical_access
from backend.api.errors import ApiError, NotFound
from backend.patients.models import Patient


def require_clinical_access(user: Any) -> None:
    if not has_clinical_access(user):
        raise ApiError(
            "forbidden",
            "Votre rôle ne donne pas accès aux données cliniques.",
            status.HTTP_403_FORBIDDEN,
        )


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
