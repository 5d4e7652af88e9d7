"""Billing review of declared acts: scope, filters, totals, exports, status transitions.

Billing staff see what a claim needs — code, date, amount, professional (name, RPPS, AM
number), patient identity and request reference — and nothing clinical.
"""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from openpyxl import Workbook
from rest_framework import status

from backend.accounts.access import organization_ids
from backend.accounts.models import Membership
from backend.api.errors import ApiError, Conflict, NotFound
from backend.audit import log as audit
from teleexpertise.models import Act

BILLING_ROLES = frozenset({Membership.Role.BILLING, Membership.Role.ADMIN})
A = Act.Status
# declared -> transmitted -> paid | rejected, and declared -> rejected (refused before sending).
TRANSITIONS: dict[str, frozenset[str]] = {
    A.DECLARED: frozenset({A.TRANSMITTED, A.REJECTED}),
    A.TRANSMITTED: frozenset({A.PAID, A.REJECTED}),
    A.PAID: frozenset(),
    A.REJECTED: frozenset(),
}

COLUMNS = [
    ("reference", "Référence demande"),
    ("code", "Code acte"),
    ("act_date", "Date de l'acte"),
    ("amount", "Montant (EUR)"),
    ("status", "Statut"),
    ("professional", "Professionnel"),
    ("rpps", "RPPS"),
    ("am_number", "N° Assurance Maladie"),
    ("prescriber_am_number", "N° AM prescripteur"),
    ("request_date", "Date de la demande"),
    ("patient_birth_name", "Nom de naissance patient"),
    ("patient_first_names", "Prénom(s) patient"),
    ("patient_birth_date", "Date de naissance patient"),
    ("patient_sex", "Sexe patient"),
    ("patient_ins", "INS patient"),
]


def require_billing_access(user: Any) -> set[uuid.UUID]:
    orgs = organization_ids(user, BILLING_ROLES)
    if not orgs:
        raise ApiError(
            "forbidden",
            "Réservé au personnel de facturation de la structure.",
            status.HTTP_403_FORBIDDEN,
        )
    return orgs


def acts_for(user: Any) -> QuerySet[Act]:
    """Acts of professionals who are members of one of the user's billing organisations."""
    orgs = organization_ids(user, BILLING_ROLES)
    if not orgs:
        return Act.objects.none()
    professionals = Membership.objects.filter(organization_id__in=orgs).values("professional_id")
    return Act.objects.filter(professional_id__in=professionals)


def _date(value: str | None, name: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        message = "Date attendue au format AAAA-MM-JJ."
        raise ApiError("invalid", message, fields={name: [message]}) from None


def filtered(user: Any, params: Any) -> QuerySet[Act]:
    require_billing_access(user)
    queryset = acts_for(user)
    start, end = _date(params.get("from"), "from"), _date(params.get("to"), "to")
    if start:
        queryset = queryset.filter(act_date__gte=start)
    if end:
        queryset = queryset.filter(act_date__lte=end)
    if code := params.get("code"):
        queryset = queryset.filter(code=code)
    if state := params.get("status"):
        if state not in A.values:
            raise ApiError("invalid", "Statut inconnu.", fields={"status": ["Statut inconnu."]})
        queryset = queryset.filter(status=state)
    if professional := params.get("professional"):
        try:
            queryset = queryset.filter(professional__user_id=uuid.UUID(professional))
        except ValueError:
            message = "Identifiant de professionnel invalide."
            raise ApiError("invalid", message, fields={"professional": [message]}) from None
    return queryset.select_related("professional", "patient", "request").order_by(
        "-act_date", "code", "id"
    )


def _money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def totals(queryset: QuerySet[Act]) -> dict[str, Any]:
    rows = queryset.order_by().values("code", "status").annotate(n=Count("id"), total=Sum("amount"))
    by_code: dict[str, Decimal] = defaultdict(Decimal)
    by_status: dict[str, Decimal] = defaultdict(Decimal)
    count = 0
    for row in rows:
        amount = Decimal(row["total"] or 0)
        by_code[row["code"]] += amount
        by_status[row["status"]] += amount
        count += row["n"]
    return {
        "count": count,
        "amount": _money(sum(by_code.values(), Decimal("0"))),
        "by_code": {k: _money(v) for k, v in sorted(by_code.items())},
        "by_status": {k: _money(v) for k, v in sorted(by_status.items())},
    }


def act_row(act: Act) -> dict[str, Any]:
    professional, patient = act.professional, act.patient
    return {
        "id": str(act.pk),
        "reference": act.request.reference,
        "code": act.code,
        "act_date": act.act_date.isoformat(),
        "amount": str(act.amount),
        "status": act.status,
        "note": act.note,
        "professional": {
            "id": str(professional.user_id),
            "display_name": professional.display_name,
            "rpps": professional.rpps,
            "am_number": act.am_number,
        },
        "prescriber_am_number": act.prescriber_am_number or None,
        "request_date": act.request_date.isoformat(),
        "patient": {
            "birth_name": patient.birth_name,
            "first_names": list(patient.first_names),
            "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex,
            "ins": patient.ins if patient.is_qualified else None,
        },
        "status_changed_at": act.status_changed_at.isoformat() if act.status_changed_at else None,
    }


def _flat(act: Act) -> dict[str, Any]:
    row = act_row(act)
    return {
        "reference": row["reference"],
        "code": act.code,
        "act_date": act.act_date,
        "amount": act.amount,
        "status": act.get_status_display(),
        "professional": row["professional"]["display_name"],
        "rpps": act.professional.rpps or "",
        "am_number": act.am_number,
        "prescriber_am_number": act.prescriber_am_number,
        "request_date": act.request_date,
        "patient_birth_name": act.patient.birth_name,
        "patient_first_names": " ".join(act.patient.first_names),
        "patient_birth_date": act.patient.birth_date,
        "patient_sex": act.patient.sex,
        "patient_ins": row["patient"]["ins"] or "",
    }


def to_csv(queryset: QuerySet[Act]) -> bytes:
    """French Excel: UTF-8 with BOM, ';' separator, decimal comma, dates JJ/MM/AAAA."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([label for _, label in COLUMNS])
    for act in queryset:
        flat = _flat(act)
        values = []
        for key, _ in COLUMNS:
            value = flat[key]
            if isinstance(value, Decimal):
                value = f"{value:.2f}".replace(".", ",")
            elif isinstance(value, datetime.date):
                value = f"{value:%d/%m/%Y}"
            values.append(value)
        writer.writerow(values)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(queryset: QuerySet[Act]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Actes"
    sheet.append([label for _, label in COLUMNS])
    for act in queryset:
        flat = _flat(act)
        sheet.append([flat[key] for key, _ in COLUMNS])
        sheet.cell(row=sheet.max_row, column=4).number_format = "#,##0.00"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def transition_act(actor: Any, act_id: Any, new_status: str, note: str = "") -> Act:
    require_billing_access(actor)
    try:
        key = uuid.UUID(str(act_id))
    except ValueError as exc:
        raise NotFound("Acte introuvable.") from exc
    if not acts_for(actor).filter(pk=key).exists():
        raise NotFound("Acte introuvable.")
    act = Act.objects.select_for_update().get(pk=key)
    if new_status not in TRANSITIONS.get(act.status, frozenset()):
        raise Conflict(
            "invalid_transition",
            f"Un acte « {act.get_status_display().lower()} » ne peut pas passer à ce statut.",
        )
    if new_status == A.REJECTED and not note.strip():
        message = "Indiquez le motif du rejet."
        raise ApiError("note_required", message, fields={"note": [message]})
    previous = act.status
    act.status, act.note, act.status_changed_at = new_status, note.strip(), timezone.now()
    act.save(update_fields=["status", "note", "status_changed_at"])
    audit.record(
        "billing.act_transition",
        actor=actor,
        obj=act,
        patient_id=act.patient_id,
        data={"from": previous, "to": new_status, "code": act.code},
    )
    return act


def record_export(actor: Any, kind: str, count: int) -> None:
    with transaction.atomic():
        audit.record(
            "billing.acts_exported",
            actor=actor,
            object_type="teleexpertise.act",
            data={"format": kind, "count": count},
        )
