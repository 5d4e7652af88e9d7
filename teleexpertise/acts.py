"""Billable acts: eligibility, dated tariffs, and the yearly quota held by the database.

Called only from ``teleexpertise.actions`` (inside its transaction). The quota rule (Assurance
Maladie):
at most ``TELEEXPERTISE_ACTS_PER_YEAR`` acts of one code per professional for the same patient in
a calendar year. Each act takes a numbered slot 1..limit, and (professional, patient_key, code,
year, slot) is unique: concurrent declarations that pick the same slot collide in the database,
and the loser recounts. A rejected act keeps its slot (conservative: a rejected claim may be
resubmitted, and the limit is never exceeded by a later correction).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from backend.accounts.access import professional_of
from backend.accounts.models import Membership, Organization, Professional
from backend.errors import Conflict
from backend.patients.models import Patient
from backend.patients.vigilance import person_key, person_records_changed, records_of_same_person
from teleexpertise.models import Act, Tariff, TeleexpertiseRequest

# Assurance Maladie, teleexpertise: RQD may be billed by médecins (10), sages-femmes (50),
# infirmiers/IPA (60), masseurs-kinésithérapeutes (70), pédicures-podologues (80),
# orthophonistes (91).
RQD_PROFESSIONS = frozenset({"10", "50", "60", "70", "80", "91"})
# Assurance Maladie: the expert (requis) is a doctor or a midwife.
EXPERT_PROFESSIONS = frozenset({"10", "50"})

# Bounded: each retry follows a real collision, i.e. another act now holds a slot.
MAX_SLOT_ATTEMPTS = 20


def acts_per_year() -> int:
    return int(settings.TELEEXPERTISE_ACTS_PER_YEAR)


def is_expert(professional: Professional | None) -> bool:
    return bool(
        professional is not None
        and professional.is_expert
        and professional.profession_code in EXPERT_PROFESSIONS
    )


def may_bill_rqd(professional: Professional | None) -> bool:
    return professional is not None and professional.profession_code in RQD_PROFESSIONS


def patient_key(patient: Patient) -> str:
    """The person, not the record (issue 17 rule 1): records with the same INS, the same five
    traits, or linked as the same person share one key, so they share the yearly acts."""
    return person_key(patient)


# Renumbering goes through slots above any real one, so the unique constraint holds at each step.
_PARKING_SLOT = 10_000


def rekey_acts(patients: list[Patient]) -> None:
    """Acts follow their person when its key changes (a new record, an INS, a link).

    Acts moved under a new key are renumbered with the acts already there, oldest first; slots
    above the limit can appear (acts declared before the link was known): they stay declared,
    and no free slot remains for a new act.
    """
    records = records_of_same_person(patients)
    keys = {p.pk: patient_key(p) for p in records}
    acts = list(
        Act.objects.select_for_update()
        .filter(patient_id__in=keys)
        .order_by("act_date", "created_at")
    )
    stale = [a for a in acts if a.patient_key != keys[a.patient_id]]
    if not stale:
        return
    targets = {(a.professional_id, a.code, a.year, keys[a.patient_id]) for a in stale}
    for professional_id, code, year, key in sorted(targets, key=str):
        moving = [
            a
            for a in stale
            if (a.professional_id, a.code, a.year, keys[a.patient_id])
            == (professional_id, code, year, key)
        ]
        staying = Act.objects.select_for_update().filter(
            professional_id=professional_id, code=code, year=year, patient_key=key
        )
        group = sorted([*staying, *moving], key=lambda a: (a.act_date, a.created_at))
        for index, act in enumerate(group, start=1):
            Act.objects.filter(pk=act.pk).update(patient_key=key, slot=_PARKING_SLOT + index)
        for index, act in enumerate(group, start=1):
            Act.objects.filter(pk=act.pk).update(slot=index)


def _on_person_records_changed(sender: Any, patients: list[Patient], **kwargs: Any) -> None:
    rekey_acts(patients)


def connect_signals() -> None:
    person_records_changed.connect(_on_person_records_changed, dispatch_uid="teleexpertise.rekey")


def share_an_msp(a: Professional, b: Professional) -> bool:
    """Assurance Maladie: no teleexpertise act between two professionals of the same MSP."""
    msp_of_a = Membership.objects.filter(
        professional=a, organization__kind=Organization.Kind.MSP
    ).values("organization_id")
    return Membership.objects.filter(professional=b, organization_id__in=msp_of_a).exists()


def tariff_on(code: str, on: datetime.date) -> Decimal:
    tariff = Tariff.objects.filter(code=code, valid_from__lte=on).order_by("-valid_from").first()
    if tariff is None:
        raise Conflict(
            "no_tariff",
            f"Aucun tarif {code} n'est en vigueur au {on:%d/%m/%Y} : l'acte ne peut pas être "
            "déclaré.",
        )
    return tariff.amount


def used_slots(professional_id: Any, key: str, code: str, year: int) -> set[int]:
    return set(
        Act.objects.filter(
            professional_id=professional_id, patient_key=key, code=code, year=year
        ).values_list("slot", flat=True)
    )


def usage(professional_id: Any, patient: Patient, code: str, year: int) -> dict[str, int]:
    """The "3/4 actes utilisés cette année" figures."""
    used = len(used_slots(professional_id, patient_key(patient), code, year))
    return {"used": used, "limit": acts_per_year(), "year": year}


def quota_refusal(code: str, professional: Professional, year: int) -> Conflict:
    limit = acts_per_year()
    return Conflict(
        "act_quota_reached",
        f"Limite atteinte : {limit} actes {code} par an pour ce patient et "
        f"{professional.display_name} en {year}. Le compteur repart le 1er janvier {year + 1}.",
    )


def declare(
    *,
    code: str,
    request: TeleexpertiseRequest,
    professional: Professional,
    act_date: datetime.date,
    prescriber: Professional | None = None,
) -> Act:
    """Insert the act in the first free slot of its year, or raise ``act_quota_reached``."""
    limit = acts_per_year()
    key = patient_key(request.patient)
    year = act_date.year
    amount = tariff_on(code, act_date)
    for _attempt in range(MAX_SLOT_ATTEMPTS):
        taken = used_slots(professional.pk, key, code, year)
        free = [slot for slot in range(1, limit + 1) if slot not in taken]
        if not free:
            raise quota_refusal(code, professional, year)
        try:
            # A savepoint: a collision rolls back this insert only, not the caller's work.
            with transaction.atomic():
                return Act.objects.create(
                    code=code,
                    request=request,
                    professional=professional,
                    patient=request.patient,
                    patient_key=key,
                    act_date=act_date,
                    year=year,
                    slot=free[0],
                    amount=amount,
                    am_number=professional.am_number,
                    prescriber_am_number=prescriber.am_number if prescriber else "",
                    request_date=request.created_at.date(),
                )
        except IntegrityError:
            if Act.objects.filter(request=request, code=code).exists():
                raise Conflict(
                    "act_already_declared", f"L'acte {code} de cette demande est déjà déclaré."
                ) from None
            continue  # another declaration took that slot: recount
    raise Conflict(
        "act_declaration_busy",
        "Trop de déclarations simultanées pour ce patient : réessayez dans un instant.",
    )


def declare_for_request(
    request: TeleexpertiseRequest, act_date: datetime.date
) -> tuple[list[Act], list[dict[str, str]]]:
    """Each act on its own rule: the requester's RQD quota never blocks the expert's TE2."""
    expert = professional_of(request.expert)
    requester = professional_of(request.requester)
    assert expert is not None
    if requester is not None and share_an_msp(requester, expert):
        message = "Pas d'acte entre deux professionnels de la même MSP."
        return [], [
            {"code": code, "reason": "same_msp", "message": message} for code in ("TE2", "RQD")
        ]
    wanted: list[tuple[str, Professional, Professional | None]] = [("TE2", expert, None)]
    if requester is not None and may_bill_rqd(requester):
        wanted.append(("RQD", requester, expert))
    declared: list[Act] = []
    refusals: list[dict[str, str]] = []
    for code, professional, prescriber in wanted:
        try:
            declared.append(
                declare(
                    code=code,
                    request=request,
                    professional=professional,
                    act_date=act_date,
                    prescriber=prescriber,
                )
            )
        except Conflict as refused:
            refusal = {"code": code, "reason": refused.code, "message": refused.message}
            refusals.append(refusal)
    return declared, refusals
