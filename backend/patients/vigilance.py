"""Identity vigilance: duplicates, records of the same person, and the key that names a person.

A person may have several records: one per organisation, or a duplicate created by mistake. They
are the same person when they share an INS, share the five strict traits, or were linked by a
user (``Patient.same_person_as``). Whatever counts per person (the teleexpertise act quota) uses
``person_key``; when the records of a person change (a new record, a qualification, a link), the
``person_records_changed`` signal lets those counters follow, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.dispatch import Signal

from backend.patients.models import Patient
from backend.patients.traits import Traits, normalise_name

__all__ = [
    "DuplicateCandidates",
    "find_duplicates",
    "person_key",
    "person_records_changed",
    "records_of_same_person",
]

# Sent with ``patients`` (the records whose person_key may have changed) inside the transaction.
person_records_changed = Signal()


@dataclass(frozen=True)
class DuplicateCandidates:
    # Same INS or same five traits: the same person, the record is not created.
    certain: list[Patient]
    # Same birth name, birth date and sex but other first names or birth place: shown, and the
    # user says whether it is the same person.
    possible: list[Patient]


def find_duplicates(
    candidates: QuerySet[Patient], traits: Traits, ins: str = ""
) -> DuplicateCandidates:
    """Records among ``candidates`` (those the user may see) that may be this identity."""
    certain_q = Q(traits_key=traits.key())
    if ins:
        certain_q |= Q(ins=ins)
    certain = list(candidates.filter(certain_q).order_by("created_at"))
    name, birth_date, sex = traits.name_key()
    possible = [
        patient
        for patient in candidates.filter(birth_date=birth_date, sex=sex)
        .exclude(pk__in=[p.pk for p in certain])
        .order_by("created_at")
        if normalise_name(patient.birth_name) == name
    ]
    return DuplicateCandidates(certain=certain, possible=possible)


def _group_root(patient: Patient) -> Patient:
    return patient.same_person_as or patient


def _qualified_first(queryset: QuerySet[Patient]) -> QuerySet[Patient]:
    return queryset.annotate(
        _rank=Case(
            When(identity_status=Patient.IdentityStatus.QUALIFIED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("_rank", "created_at")


def person_key(patient: Patient) -> str:
    """One key per person, across records and organisations.

    The INS when a record of the person has one (a qualified one first), else the INS of a record
    with the same five traits, else the traits digest. A linked group shares its root's key.
    """
    root = _group_root(patient)
    group = Patient.objects.filter(Q(pk=root.pk) | Q(same_person_as=root.pk))
    ins = _qualified_first(group.exclude(ins="")).values_list("ins", flat=True).first()
    if ins:
        return ins
    traits_keys = set(group.values_list("traits_key", flat=True))
    same_traits = Patient.objects.filter(traits_key__in=traits_keys).exclude(ins="")
    ins = _qualified_first(same_traits).values_list("ins", flat=True).first()
    if ins:
        return ins
    return f"traits:{root.traits_key or root.traits.key()}"


def records_of_same_person(patients: Iterable[Patient]) -> list[Patient]:
    """The records that may share a key with these: their linked groups, and the records with
    the same INS or traits (one step: enough for every way a key is computed above)."""
    roots = {_group_root(p).pk for p in patients}
    group = Patient.objects.filter(Q(pk__in=roots) | Q(same_person_as__in=roots))
    insses = {i for i in group.values_list("ins", flat=True) if i}
    traits_keys = set(group.values_list("traits_key", flat=True))
    related = Patient.objects.filter(
        Q(pk__in=roots)
        | Q(same_person_as__in=roots)
        | Q(ins__in=insses)
        | Q(traits_key__in=traits_keys)
    )
    more_roots = {p.same_person_as_id or p.pk for p in related}
    return list(
        Patient.objects.filter(Q(pk__in=more_roots) | Q(same_person_as__in=more_roots)).order_by(
            "created_at"
        )
    )
