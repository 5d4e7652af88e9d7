"""Billing review of declared acts: scope, filters, totals, exports, status transitions.

Billing staff see what a claim needs — code, date, amount, professional (name, RPPS, AM
number), patient identity and request reference — and nothing clinical.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from backend.accounts.access import organization_ids, professional_of
from backend.accounts.models import Membership
from backend.audit import log as audit
from backend.errors import Conflict, DomainError, Kind, NotFound
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


def require_billing_access(user: Any) -> set[uuid.UUID]:
    orgs = organization_ids(user, BILLING_ROLES)
    if not orgs:
        raise DomainError(
            "forbidden",
            "Réservé au personnel de facturation de la structure.",
            Kind.FORBIDDEN,
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
        raise DomainError("invalid", message, fields={name: [message]}) from None


def own_acts(user: Any) -> QuerySet[Act]:
    """A clinician's own declared acts (RQD as requester, TE2 as expert)."""
    professional = professional_of(user)
    if professional is None:
        raise DomainError("forbidden", "Réservé aux professionnels de santé.", Kind.FORBIDDEN)
    return Act.objects.filter(professional=professional)


def professional_filter(value: str) -> Q:
    """A user id, an RPPS (digits, whole or its start) or a name (family or given, any part)."""
    value = value.strip()
    try:
        return Q(professional__user_id=uuid.UUID(value))
    except ValueError:
        pass
    if value.isdigit():
        return Q(professional__rpps__startswith=value)
    q = Q()
    for word in value.split():
        q &= Q(professional__family_name__icontains=word) | Q(
            professional__given_name__icontains=word
        )
    return q


def filtered(user: Any, params: Any, *, own: bool = False) -> QuerySet[Act]:
    if own:
        queryset = own_acts(user)
    else:
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
            raise DomainError("invalid", "Statut inconnu.", fields={"status": ["Statut inconnu."]})
        queryset = queryset.filter(status=state)
    if code and code not in Act.Code.values:
        raise DomainError("invalid", "Code inconnu.", fields={"code": ["Code d'acte inconnu."]})
    if (professional := params.get("professional", "")).strip():
        if len(professional) > 100:
            message = "Nom ou RPPS trop long."
            raise DomainError("invalid", message, fields={"professional": [message]})
        queryset = queryset.filter(professional_filter(professional))
    return queryset.select_related("professional", "patient", "request").order_by(
        "-act_date", "code", "id"
    )


def _money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def french_amount(value: Decimal | str) -> str:
    """The one French format of an amount, everywhere it is shown: « 1 234,50 € »."""
    grouped = f"{Decimal(value):,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{grouped}\u00a0€"


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
        "amount_display": french_amount(sum(by_code.values(), Decimal("0"))),
    }


def act_row(act: Act) -> dict[str, Any]:
    professional, patient = act.professional, act.patient
    return {
        "id": str(act.pk),
        "reference": act.request.reference,
        "code": act.code,
        "act_date": act.act_date.isoformat(),
        "amount": str(act.amount),
        "amount_display": french_amount(act.amount),
        "status": act.status,
        "status_label": act.get_status_display(),
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


@transaction.atomic
def transition_act(actor: Any, act_id: Any, new_status: str, note: str = "") -> Act:
    require_billing_access(actor)
    try:
        key = uuid.UUID(str(act_id))
    except ValueError as exc:
        raise NotFound("Acte introuvable.") from exc
    if not acts_for(actor).filter(pk=key).exists():
        raise NotFound("Acte introuvable.")
    act = (
        Act.objects.select_for_update(of=("self",))
        .select_related("professional", "patient", "request")
        .get(pk=key)
    )
    if new_status not in TRANSITIONS.get(act.status, frozenset()):
        raise Conflict(
            "invalid_transition",
            f"Un acte « {act.get_status_display().lower()} » ne peut pas passer à ce statut.",
        )
    if new_status == A.REJECTED and not note.strip():
        message = "Indiquez le motif du rejet."
        raise DomainError("note_required", message, fields={"note": [message]})
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


@transaction.atomic
def transition_many(
    actor: Any, act_ids: list[uuid.UUID], new_status: str, note: str = ""
) -> tuple[list[Act], list[dict[str, str]]]:
    """A bulk change on a selection: each act on its own (a savepoint each), in a stable order
    so that two concurrent bulk changes lock their rows in the same order."""
    require_billing_access(actor)
    done: list[Act] = []
    refused: list[dict[str, str]] = []
    for act_id in sorted(dict.fromkeys(act_ids), key=str):
        try:
            with transaction.atomic():
                done.append(transition_act(actor, act_id, new_status, note))
        except DomainError as error:
            refused.append({"id": str(act_id), "code": error.code, "message": error.message})
    return done, refused


def record_export(actor: Any, kind: str, count: int, *, own: bool = False) -> None:
    with transaction.atomic():
        audit.record(
            "billing.own_acts_exported" if own else "billing.acts_exported",
            actor=actor,
            object_type="teleexpertise.act",
            data={"format": kind, "count": count},
        )
