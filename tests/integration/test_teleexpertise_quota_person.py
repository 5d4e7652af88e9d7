"""Issue 17, rule 1: the yearly limit counts the person, not the record. A second record of the
same person (same INS, same five traits, or linked as the same person) shares the four acts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from backend.patients import identity_actions
from backend.patients.models import Patient
from teleexpertise import actions
from teleexpertise import acts as act_rules
from teleexpertise.models import Act
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    make_patient,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tariffs(db):
    ensure_tariffs()


def _record_like(patient: Patient, **changes) -> Patient:
    """Another record of the same person, as a careless creation would have made it."""
    fields = {
        "organization": patient.organization,
        "ins": "",
        "ins_oid": "",
        "birth_name": patient.birth_name,
        "first_names": patient.first_names,
        "birth_date": patient.birth_date,
        "sex": patient.sex,
        "birth_place": patient.birth_place,
        "identity_status": Patient.IdentityStatus.PROVISIONAL,
    }
    fields.update(changes)
    return Patient.objects.create(**fields)


def _file_acts(personas, patient, count):
    for _ in range(count):
        request = answered_request(personas.gp, personas.cardiologist, patient)
        actions.file_request(personas.cardiologist, request.pk)


def _fifth_is_refused(personas, patient, requester=None):
    """The report is filed, the expert's TE2 refused on its own rule (issue 17, rule 2)."""
    fifth = answered_request(requester or personas.gp, personas.cardiologist, patient)
    actions.file_request(personas.cardiologist, fifth.pk)
    fifth.refresh_from_db()
    assert fifth.status == "filed"
    assert {"TE2": "act_quota_reached"}.items() <= {
        r["code"]: r["reason"] for r in fifth.act_refusals
    }.items()
    assert not fifth.acts.filter(code="TE2").exists()


def _te2_count(personas):
    year = timezone.localdate().year
    return Act.objects.filter(
        code="TE2", professional=personas.cardiologist.professional, year=year
    ).count()


def test_fifth_act_through_a_provisional_duplicate_with_the_same_traits_is_refused(personas):
    qualified = make_patient(personas.gp.professional.memberships.first().organization)
    _file_acts(personas, qualified, 4)
    duplicate = _record_like(qualified, birth_name=qualified.birth_name.lower())
    assert act_rules.patient_key(duplicate) == act_rules.patient_key(qualified) == qualified.ins
    _fifth_is_refused(personas, duplicate)
    assert _te2_count(personas) == 4


def test_fifth_act_through_a_linked_duplicate_is_refused(personas):
    organization = personas.gp.professional.memberships.first().organization
    qualified = make_patient(organization)
    _file_acts(personas, qualified, 4)
    # A typo in the first name: not the same traits, so only the link tells.
    duplicate = _record_like(qualified, first_names=["Jan"])
    assert act_rules.patient_key(duplicate) != act_rules.patient_key(qualified)
    identity_actions.link_same_person(personas.gp, duplicate, qualified)
    _fifth_is_refused(personas, duplicate)


def test_a_record_with_the_same_ins_in_another_organisation_shares_the_acts(personas):
    qualified = make_patient(personas.gp.professional.memberships.first().organization)
    _file_acts(personas, qualified, 4)
    elsewhere = personas.nurse.professional.memberships.first().organization
    other = _record_like(
        qualified,
        organization=elsewhere,
        ins=qualified.ins,
        ins_oid=qualified.ins_oid,
        identity_status=Patient.IdentityStatus.QUALIFIED,
    )
    assert act_rules.patient_key(other) == qualified.ins
    assert (
        act_rules.usage(personas.cardiologist.professional.pk, other, "TE2", qualified_year())[
            "used"
        ]
        == 4
    )


def qualified_year() -> int:
    return timezone.localdate().year


def test_acts_declared_on_two_records_before_the_link_are_counted_together(personas):
    organization = personas.gp.professional.memberships.first().organization
    first = make_patient(organization, qualified=False)
    second = _record_like(first, first_names=["Jean-Marc"])
    _file_acts(personas, first, 2)
    _file_acts(personas, second, 2)
    identity_actions.link_same_person(personas.gp, second, first)
    keys = set(
        Act.objects.filter(patient__in=[first, second]).values_list("patient_key", flat=True)
    )
    assert len(keys) == 1
    slots = sorted(
        Act.objects.filter(patient__in=[first, second], code="TE2").values_list("slot", flat=True)
    )
    assert slots == [1, 2, 3, 4]
    _fifth_is_refused(personas, second)
    assert (
        act_rules.usage(personas.cardiologist.professional.pk, first, "TE2", qualified_year())[
            "used"
        ]
        == 4
    )


def test_acts_follow_the_person_when_a_provisional_record_gets_its_ins(personas):
    """Acts declared under the traits key move to the INS once INSi gives it."""
    organization = personas.gp.professional.memberships.first().organization
    provisional = make_patient(organization, qualified=False)
    _file_acts(personas, provisional, 4)
    identity_actions.verify_identity(personas.gp, provisional.pk, "CNI")
    provisional.refresh_from_db()
    assert provisional.identity_status == "QUAL"
    assert set(Act.objects.filter(patient=provisional).values_list("patient_key", flat=True)) == {
        provisional.ins
    }
    elsewhere = personas.nurse.professional.memberships.first().organization
    other = _record_like(provisional, organization=elsewhere, ins=provisional.ins)
    _fifth_is_refused(personas, other, requester=personas.nurse)


def test_different_people_keep_their_own_counters(personas):
    organization = personas.gp.professional.memberships.first().organization
    first = make_patient(organization)
    _file_acts(personas, first, 4)
    someone_else = make_patient(organization)
    request = answered_request(personas.gp, personas.cardiologist, someone_else)
    actions.file_request(personas.cardiologist, request.pk)
    assert _te2_count(personas) == 5
