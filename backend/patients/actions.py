"""Patient state changes, and the audited reads of patient data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from backend.accounts.models import Organization
from backend.audit import log as audit
from backend.errors import Conflict
from backend.patients.models import Patient
from backend.patients.traits import Traits
from backend.patients.vigilance import find_duplicates, person_records_changed

__all__ = [
    "candidate_summary",
    "create_patient",
    "record_patient_reads",
    "records_changed",
]


def candidate_summary(patient: Patient) -> dict[str, Any]:
    """What a duplicate candidate shows: enough to recognise the person, and the status."""
    return {
        "id": str(patient.pk),
        "display_name": patient.display_name,
        "first_names": patient.first_names,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "birth_place": patient.birth_place,
        "identity_status": patient.identity_status,
        "identity_status_label": patient.get_identity_status_display(),
    }


def records_changed(patients: Iterable[Patient]) -> None:
    """Counters kept per person (the act quota) follow a new record, an INS, a link."""
    person_records_changed.send(sender=Patient, patients=list(patients))


def _refuse_duplicates(
    actor: Any, organization: Organization, fields: dict[str, Any], confirm_new: bool
) -> None:
    traits = Traits(
        birth_name=fields["birth_name"],
        first_names=fields.get("first_names") or [],
        birth_date=fields["birth_date"],
        sex=fields["sex"],
        birth_place=fields.get("birth_place", ""),
    )
    found = find_duplicates(
        Patient.objects.filter(organization=organization), traits, fields.get("ins", "")
    )
    if found.certain:
        record_patient_reads(actor, found.certain, context="duplicate_check")
        raise Conflict(
            "patient_duplicate",
            "Ce patient existe déjà dans votre structure (même INS ou mêmes traits d'identité) : "
            "utilisez le dossier existant.",
            extra={"candidates": [candidate_summary(p) for p in found.certain]},
        )
    if found.possible and not confirm_new:
        record_patient_reads(actor, found.possible, context="duplicate_check")
        raise Conflict(
            "patient_possible_duplicate",
            "Un patient de même nom, même date de naissance et même sexe existe déjà : "
            "utilisez-le s'il s'agit de la même personne, ou confirmez la création.",
            extra={"candidates": [candidate_summary(p) for p in found.possible]},
        )


@transaction.atomic
def create_patient(
    actor: Any, organization: Organization, *, confirm_new: bool = False, **fields: Any
) -> Patient:
    """A new record, always « provisoire »: qualification comes from a recorded verification.

    A record of the same person in this organisation is offered instead of a new one.
    """
    _refuse_duplicates(actor, organization, fields, confirm_new)
    fields["identity_status"] = Patient.IdentityStatus.PROVISIONAL
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
        data={"identity_status": patient.identity_status, "confirmed_new": confirm_new},
    )
    records_changed([patient])
    return patient


@transaction.atomic
def record_patient_reads(actor: Any, patients: Iterable[Patient], context: str) -> None:
    """Every read of patient data leaves an event (an invariant of the platform)."""
    for patient in patients:
        audit.record(
            "patient.read",
            actor=actor,
            obj=patient,
            patient_id=patient.pk,
            organization=patient.organization,
            data={"context": context},
        )
