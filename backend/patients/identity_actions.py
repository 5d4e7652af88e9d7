"""Identity vigilance actions: recording a verification (the only way to « qualifiée ») and
linking two records of the same person.

RNIV statuses: PROV (nothing checked), RECUP (INS retrieved by INSi, no high-trust document),
VALI (high-trust document checked, no INS), QUAL (both). A verification is refused, and nothing
stored, when INSi's answer contradicts the record's traits.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.audit import log as audit
from backend.errors import Conflict, DomainError
from backend.patients.actions import records_changed
from backend.patients.ins import parse_ins
from backend.patients.insi import InsiIdentity, InsiUnavailable, insi_service
from backend.patients.models import IdentityVerification, Patient
from backend.patients.traits import Traits, normalise_name, traits_mismatches

__all__ = ["link_same_person", "verify_identity"]

Outcome = IdentityVerification.Outcome


def _answer_mismatches(answer: InsiIdentity, traits: Traits) -> list[str]:
    """INSi answered someone: is it this record's person (reference traits and matricule)?"""
    mismatches = traits_mismatches(parse_ins(answer.ins), traits)
    if normalise_name(answer.birth_name) != normalise_name(traits.birth_name):
        mismatches.append("nom de naissance")
    if answer.birth_date != traits.birth_date and "année de naissance" not in mismatches:
        mismatches.append("date de naissance")
    return mismatches


def _ask_insi(traits: Traits) -> InsiIdentity | None:
    try:
        return insi_service().search(traits)
    except InsiUnavailable as exc:
        raise Conflict(
            "insi_unavailable",
            "Le téléservice INSi ne répond pas : l'identité ne peut pas être qualifiée "
            "maintenant. Réessayez plus tard.",
        ) from exc


def _outcome(high_trust: bool, answer: InsiIdentity | None) -> str:
    if answer is not None:
        return Outcome.QUALIFIED if high_trust else Outcome.RETRIEVED
    if high_trust:
        return Outcome.VALIDATED
    raise DomainError(
        "identity_document_insufficient",
        "Ce justificatif ne permet pas de valider l'identité et INSi n'a pas trouvé l'INS : "
        "l'identité reste provisoire.",
        fields={
            "document_type": ["Présentez un passeport, une carte d'identité ou un titre de séjour."]
        },
    )


@transaction.atomic
def verify_identity(
    actor: Any, patient_id: Any, document_type: str, now: datetime.datetime | None = None
) -> IdentityVerification:
    patient = Patient.objects.select_for_update().get(pk=patient_id)
    traits = patient.traits
    if not traits.complete:
        raise DomainError(
            "traits_incomplete",
            "Les cinq traits stricts (nom et prénom de naissance, date de naissance, sexe, lieu "
            "de naissance) sont nécessaires pour vérifier l'identité.",
            fields={"birth_place": ["Le code INSEE du lieu de naissance est obligatoire."]},
        )
    answer = _ask_insi(traits)
    if answer is not None:
        mismatches = _answer_mismatches(answer, traits)
        if mismatches:
            raise Conflict(
                "ins_traits_mismatch",
                "L'identité renvoyée par INSi ne correspond pas aux traits du dossier "
                f"({', '.join(mismatches)}) : l'identité ne peut pas être qualifiée.",
            )
        if patient.ins and patient.ins != answer.ins:
            raise Conflict(
                "ins_mismatch",
                "L'INS renvoyé par INSi diffère de celui du dossier : vérifiez la saisie ou "
                "signalez un doublon à la cellule d'identitovigilance.",
            )
    high_trust = document_type in IdentityVerification.HIGH_TRUST
    outcome = _outcome(high_trust, answer)
    now = now or timezone.now()
    verification = IdentityVerification.objects.create(
        patient=patient,
        verified_by=actor,
        verified_at=now,
        document_type=document_type,
        insi_ins=answer.ins if answer else "",
        insi_oid=answer.oid if answer else "",
        insi_answered_at=now if answer else None,
        outcome=outcome,
    )
    patient.identity_status = outcome
    update = ["identity_status"]
    if answer is not None:
        patient.ins, patient.ins_oid = answer.ins, answer.oid
        update += ["ins", "ins_oid"]
    patient.save(update_fields=update)
    audit.record(
        "patient.identity_verified",
        actor=actor,
        obj=verification,
        patient_id=patient.pk,
        organization=patient.organization,
        data={"outcome": outcome, "document_type": document_type, "insi_found": bool(answer)},
    )
    records_changed([patient])
    return verification


def _group(root: Patient) -> list[Patient]:
    return list(Patient.objects.filter(Q(pk=root.pk) | Q(same_person_as=root.pk)))


@transaction.atomic
def link_same_person(actor: Any, patient: Patient, other: Patient) -> Patient:
    """Records ``patient`` and ``other`` as the same person; returns the group's root record."""
    if patient.pk == other.pk:
        raise DomainError(
            "link_same_record",
            "Un dossier ne peut pas être rattaché à lui-même.",
            fields={"other": ["Choisissez un autre dossier."]},
        )
    roots = sorted({p.same_person_as or p for p in (patient, other)}, key=lambda p: p.created_at)
    members = [m for root in roots for m in _group(root)]
    insses = {m.ins for m in members if m.ins}
    if len(insses) > 1:
        raise Conflict(
            "link_ins_conflict",
            "Ces dossiers portent des INS différents : ce ne sont pas la même personne pour "
            "l'Assurance maladie. Signalez-le à la cellule d'identitovigilance.",
        )
    root, now = roots[0], timezone.now()
    for member in members:
        if member.pk != root.pk and member.same_person_as_id != root.pk:
            member.same_person_as, member.linked_by, member.linked_at = root, actor, now
            member.save(update_fields=["same_person_as", "linked_by", "linked_at"])
    for member in (patient, other):
        audit.record(
            "patient.linked",
            actor=actor,
            obj=member,
            patient_id=member.pk,
            organization=member.organization,
            data={"root": str(root.pk)},
        )
    records_changed(members)
    return root
