"""The consent's own rules (teleexpertise: informed, beforehand, who collected it and how).

A consent belongs to one patient and one request: it names the patient it was given for, its
date lies between the patient's birth and now and is not older than
``TELEEXPERTISE_CONSENT_MAX_AGE_DAYS``, and it records who consented — the patient, or for a
minor or a protected adult the legal representative, by name and quality.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from backend.errors import DomainError
from backend.patients.models import Patient
from teleexpertise.models import Consent


@dataclass(frozen=True)
class ConsentInput:
    method: str
    collected_at: datetime.datetime
    document: uuid.UUID | None = None
    patient_informed: bool = True
    # The patient the consent step named; None from callers that predate the field.
    patient: uuid.UUID | None = None
    consenter: str = Consent.Consenter.PATIENT
    representative_name: str = ""
    representative_quality: str = ""


def max_age_days() -> int:
    return int(settings.TELEEXPERTISE_CONSENT_MAX_AGE_DAYS)


def _refuse(code: str, field: str, message: str) -> DomainError:
    return DomainError(code, message, fields={f"consent.{field}": [message]})


def require(consent: ConsentInput | None) -> ConsentInput:
    if consent is None:
        message = "Le consentement du patient doit être recueilli avant la demande."
        raise DomainError("consent_required", message, fields={"consent": [message]})
    return consent


def check(consent: ConsentInput, patient: Patient) -> ConsentInput:
    """The consent as given, or ``DomainError`` naming the field at fault."""
    if consent.patient is not None and str(consent.patient) != str(patient.pk):
        raise _refuse(
            "consent_other_patient",
            "patient",
            "Ce consentement a été recueilli pour un autre patient : recueillez-le à nouveau.",
        )
    if not consent.patient_informed:
        raise _refuse("consent_not_informed", "patient_informed", "Le patient doit être informé.")
    if consent.method == Consent.Method.WRITTEN and consent.document is None:
        raise _refuse(
            "consent_document_required", "document", "Joignez le consentement écrit numérisé."
        )
    now = timezone.now()
    collected = consent.collected_at
    if collected > now:
        raise _refuse(
            "consent_date_future", "collected_at", "Le consentement ne peut pas être daté du futur."
        )
    if timezone.localdate(collected) < patient.birth_date:
        raise _refuse(
            "consent_before_birth",
            "collected_at",
            "La date du consentement précède la naissance du patient.",
        )
    if collected < now - datetime.timedelta(days=max_age_days()):
        raise _refuse(
            "consent_too_old",
            "collected_at",
            f"Ce consentement date de plus de {max_age_days()} jours : recueillez-le à nouveau.",
        )
    if consent.consenter not in Consent.Consenter.values:
        raise _refuse("invalid", "consenter", "Précisez qui a consenti.")
    if consent.consenter == Consent.Consenter.REPRESENTATIVE:
        if not consent.representative_name.strip():
            raise _refuse(
                "consent_representative_required",
                "representative_name",
                "Indiquez le nom du représentant légal.",
            )
        if consent.representative_quality not in Consent.Quality.values:
            raise _refuse(
                "consent_representative_required",
                "representative_quality",
                "Indiquez la qualité du représentant légal.",
            )
    return consent
