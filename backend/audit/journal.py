"""« Journal d'accès »: the audit trail of a patient, for an organisation's admin and its DPO.

Scope: events recorded for the organisations where the reader is admin or DPO (an event carries
the organisation of the patient it concerns). The journal shows who read or changed what, when
and from which IP — codes and ids, never health content (the events hold none).
"""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from backend.accounts.access import organization_ids
from backend.accounts.models import Membership
from backend.audit import log as audit
from backend.audit.models import AuditEvent
from backend.errors import DomainError, Kind
from backend.patients.models import Patient
from backend.spreadsheet import neutralise

JOURNAL_ROLES = frozenset({Membership.Role.ADMIN, Membership.Role.DPO})
MAX_PATIENTS = 50

# French labels of the verbs people look for; any other verb is shown as recorded.
VERB_LABELS = {
    "patient.read": "Consultation du dossier patient",
    "patient.created": "Création du patient",
    "patient.ins_checked": "Vérification de l'INS",
    "conversation.list_read": "Liste des conversations (aperçu du dernier message)",
    "conversation.detail_read": "Ouverture d'une conversation",
    "conversation.history_read": "Lecture des messages",
    "conversation.created": "Création d'une conversation",
    "conversation.read": "Messages marqués lus",
    "message.edited": "Message modifié",
    "message.deleted": "Message supprimé",
    "attachment.downloaded": "Téléchargement d'une pièce jointe",
    "teleexpertise.list_read": "Liste des téléexpertises",
    "teleexpertise.read": "Consultation d'une téléexpertise",
    "teleexpertise.report_read": "Lecture du compte rendu",
    "teleexpertise.requested": "Demande de téléexpertise",
    "teleexpertise.taken": "Prise en charge par l'équipe",
    "teleexpertise.accepted": "Demande acceptée",
    "teleexpertise.declined": "Demande refusée",
    "teleexpertise.answered": "Compte rendu rédigé",
    "teleexpertise.filing_previewed": "Aperçu du classement",
    "teleexpertise.filed": "Compte rendu classé et envoyé",
    "teleexpertise.consent_withdrawn": "Retrait du consentement",
    "billing.act_transition": "Changement de statut d'un acte",
    "mssante.message_read": "Lecture d'un message MSSanté",
    "mssante.inbox.read": "Lecture d'un courriel MSSanté reçu",
    "export.requested": "Synthèse PDF demandée",
    "export.downloaded": "Synthèse PDF téléchargée",
    "export.sent": "Synthèse envoyée",
    "audit.journal_read": "Consultation du journal d'accès",
    "accounts.psc_mismatch": "Écart entre Pro Santé Connect et les rattachements",
    "message.versions_read": "Lecture des versions antérieures d'un message",
}


def require_journal_access(user: Any) -> set[uuid.UUID]:
    orgs = organization_ids(user, JOURNAL_ROLES)
    if not orgs:
        raise DomainError(
            "forbidden",
            "Réservé aux administrateurs et au délégué à la protection des données.",
            Kind.FORBIDDEN,
        )
    return orgs


def _invalid(field: str, message: str) -> DomainError:
    return DomainError("invalid", message, fields={field: [message]})


def _date(value: str | None, field: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise _invalid(field, "Date attendue au format AAAA-MM-JJ.") from None


def _uuid(value: str | None, field: str) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _invalid(field, "Identifiant invalide.") from None


def find_patients(user: Any, params: Any) -> list[Patient]:
    """By name (birth or used, any part), birth date or INS, among the reader's organisations."""
    orgs = require_journal_access(user)
    patients = Patient.objects.filter(organization_id__in=orgs)
    name = (params.get("q") or "").strip()
    birth = _date(params.get("birth_date"), "birth_date")
    ins = (params.get("ins") or "").replace(" ", "")
    if not (name or birth or ins):
        raise _invalid("q", "Indiquez un nom, une date de naissance ou un INS.")
    if ins:
        if not (ins.isdigit() and len(ins) == 15):
            raise _invalid("ins", "L'INS compte 15 chiffres.")
        patients = patients.filter(ins=ins)
    if birth:
        patients = patients.filter(birth_date=birth)
    for word in name.split():
        patients = patients.filter(Q(birth_name__icontains=word) | Q(used_name__icontains=word))
    return list(patients.order_by("birth_name", "birth_date")[:MAX_PATIENTS])


def events_for(user: Any, params: Any) -> QuerySet[AuditEvent]:
    orgs = require_journal_access(user)
    # Events recorded for the organisation, and events about its patients that carry no
    # organisation (some writers record the patient only, e.g. inbox reads).
    own_patients = Patient.objects.filter(organization_id__in=orgs).values("pk")
    events = AuditEvent.objects.filter(
        Q(organization_id__in=orgs) | Q(organization__isnull=True, patient_id__in=own_patients)
    )
    if (patient := _uuid(params.get("patient"), "patient")) is not None:
        events = events.filter(patient_id=patient)
    if (actor := _uuid(params.get("user"), "user")) is not None:
        events = events.filter(actor_id=actor)
    if start := _date(params.get("from"), "from"):
        events = events.filter(at__date__gte=start)
    if end := _date(params.get("to"), "to"):
        events = events.filter(at__date__lte=end)
    if start and end and start > end:
        raise _invalid("to", "La fin de la période précède son début.")
    if action := (params.get("action") or "").strip():
        if len(action) > 64:
            raise _invalid("action", "Action inconnue.")
        events = events.filter(verb=action)
    if (kind := params.get("kind")) in ("read", "change"):
        reads = Q(verb__endswith="_read") | Q(verb__endswith=".read") | Q(verb__endswith="loaded")
        events = events.filter(reads) if kind == "read" else events.exclude(reads)
    elif kind:
        raise _invalid("kind", "Type attendu : read ou change.")
    return events.select_related("actor__professional").order_by("-at", "-id")


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "at": event.at.isoformat(),
        "actor": str(event.actor_id) if event.actor_id else None,
        "actor_name": event.actor.display_name if event.actor else None,
        "verb": event.verb,
        "label": VERB_LABELS.get(event.verb, event.verb),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient_id": str(event.patient_id) if event.patient_id else None,
        "ip": event.ip,
        "data": event.data,
    }


def patient_json(patient: Patient) -> dict[str, Any]:
    """Identity only: what finding the right person needs."""
    return {
        "id": str(patient.pk),
        "display_name": patient.display_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "ins": patient.ins or None,
    }


def record_reading(user: Any, params: Any, *, export: str | None = None) -> None:
    """Reading the journal of a patient is itself a read of that patient's data."""
    patient_id = _uuid(params.get("patient"), "patient")
    patient = (
        Patient.objects.select_related("organization").filter(pk=patient_id).first()
        if patient_id
        else None
    )
    with transaction.atomic():
        audit.record(
            "audit.journal_read",
            actor=user,
            object_type="audit.auditevent",
            patient_id=patient_id,
            organization=patient.organization if patient else None,
            data={"export": export},
        )


CSV_COLUMNS = ["Date", "Utilisateur", "Action", "Code action", "Objet", "Patient", "Adresse IP"]


def to_csv(events: QuerySet[AuditEvent]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in events:
        row = event_json(event)
        writer.writerow(
            neutralise(str(value or ""))
            for value in (
                f"{event.at:%d/%m/%Y %H:%M:%S}",
                row["actor_name"],
                row["label"],
                row["verb"],
                f"{event.object_type}:{event.object_id}" if event.object_id else event.object_type,
                row["patient_id"],
                row["ip"],
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
