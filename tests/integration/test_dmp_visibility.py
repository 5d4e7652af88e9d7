"""The DMP visibility choice before filing: what is offered and what is proposed by default (a
minor's document differs), and what filing records when the author does not choose."""

from __future__ import annotations

import datetime

import pytest

from backend.patients.ins import OID_TEST, make_ins
from backend.patients.models import Patient
from teleexpertise import actions
from teleexpertise.models import Report
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    lefebvre,
)
from tests.support.mssante import eager_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    ensure_tariffs()
    with eager_tasks():
        yield


def _minor(adult: Patient) -> Patient:
    born = datetime.date.today() - datetime.timedelta(days=365 * 10)
    ins = make_ins("M", born.year, born.month, "72", "181", 733)
    return Patient.objects.create(
        organization=adult.organization,
        ins=ins,
        ins_oid=OID_TEST,
        birth_name="PETITJEAN",
        first_names=["Noé"],
        birth_date=born,
        sex="M",
        birth_place="72181",
        identity_status=Patient.IdentityStatus.QUALIFIED,
    )


def test_a_minor_gets_the_representatives_choice_proposed_by_default(personas, as_user):
    request = answered_request(personas.gp, personas.cardiologist, _minor(lefebvre()))
    preview = as_user(personas.cardiologist).get(f"/api/teleexpertise/requests/{request.pk}/filing")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["patient_is_minor"] is True
    assert body["default_visibility"] == "invisible_representatives"
    assert "invisible_representatives" in {v["value"] for v in body["visibilities"]}
    actions.file_request(personas.cardiologist, request.pk)
    assert Report.objects.get(request=request).dmp_visibility == "invisible_representatives"


def test_an_adult_is_proposed_normal_and_not_offered_the_representatives_choice(personas, as_user):
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    body = (
        as_user(personas.cardiologist)
        .get(f"/api/teleexpertise/requests/{request.pk}/filing")
        .json()
    )
    assert body["patient_is_minor"] is False and body["default_visibility"] == "normal"
    assert "invisible_representatives" not in {v["value"] for v in body["visibilities"]}
    response = as_user(personas.cardiologist).post(
        f"/api/teleexpertise/requests/{request.pk}/file",
        {"visibility": "masked_professionals"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Report.objects.get(request=request).dmp_visibility == "masked_professionals"


def test_the_setting_changes_the_minor_default(personas, settings):
    settings.DMP_MINOR_DEFAULT_VISIBILITY = "normal"
    request = answered_request(personas.gp, personas.cardiologist, _minor(lefebvre()))
    actions.file_request(personas.cardiologist, request.pk)
    assert Report.objects.get(request=request).dmp_visibility == "normal"
