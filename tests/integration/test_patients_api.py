"""INS check and patients: decoding, creating, finding, and who may see them."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from backend.patients.ins import make_ins
from backend.patients.models import Patient
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
EXAMPLE_INS = "285037728417346"


def new_patient_payload(**overrides):
    payload = {
        "ins": make_ins("M", 1970, 5, "72", "181", 901),
        "birth_name": "Durant",
        "first_names": ["Pierre", "Jean"],
        "birth_date": "1970-05-17",
        "sex": "M",
        "birth_place": "72181",
    }
    payload.update(overrides)
    return payload


def test_ins_check_decodes_the_example_and_gives_the_summary(personas, as_user):
    response = as_user(personas.gp).post(
        "/api/patients/ins-check", {"ins": "2 85 03 77 284 173 46"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["valid"] is True
    assert body["sex"] == "F"
    assert (body["birth_year"], body["birth_month"], body["birth_department"]) == (1985, 3, "77")
    assert body["summary"] == "Une femme, née en mars 1985, née dans le département 77"
    assert body["mssante_address"] == f"{EXAMPLE_INS}@patient.mssante.fr"


@pytest.mark.parametrize(
    ("ins", "code"),
    [
        ("", "ins_empty"),
        ("28503772841734", "ins_length"),
        ("28503772841734X", "ins_characters"),
        ("585037728417346", "ins_sex"),
        ("285137728417346", "ins_month"),
        ("285037728417347", "ins_key"),
    ],
)
def test_ins_check_says_why_an_ins_is_invalid(personas, as_user, ins, code):
    response = as_user(personas.gp).post("/api/patients/ins-check", {"ins": ins}, format="json")
    error = assert_error(response, 400, code)
    assert error["fields"]["ins"]


def test_ins_check_decodes_corsica_and_unknown_months(personas, as_user):
    corsica = make_ins("M", 1990, 7, "2B", "033", 12)
    body = as_user(personas.gp).post("/api/patients/ins-check", {"ins": corsica}, format="json")
    assert body.json()["birth_department"] == "2B"
    unknown = make_ins("F", 1960, 50, "99", "350", 3)
    body = as_user(personas.gp).post("/api/patients/ins-check", {"ins": unknown}, format="json")
    assert body.json()["birth_month"] is None
    assert body.json()["summary"] == "Une femme, née en 1960 (mois inconnu), née à l'étranger"


def test_create_then_find_a_patient_by_ins(personas, as_user):
    client = as_user(personas.gp)
    created = client.post("/api/patients", new_patient_payload(), format="json")
    assert created.status_code == 201, created.content
    patient = created.json()
    assert patient["birth_name"] == "DURANT"
    # A new record is provisional until a recorded verification; test data carries the test OID.
    assert patient["identity_status"] == "PROV"
    assert patient["mssante_address"] is None
    assert patient["ins_oid"] == "1.2.250.1.213.1.4.10"
    found = client.get(f"/api/patients?ins={patient['ins']}").json()
    assert [p["id"] for p in found["results"]] == [patient["id"]]
    assert AuditEvent.objects.filter(verb="patient.created", patient_id=patient["id"]).exists()
    assert AuditEvent.objects.filter(verb="patient.read", patient_id=patient["id"]).count() == 1


def test_a_status_cannot_be_declared_at_creation(personas, as_user):
    before = Patient.objects.count()
    for status in ("QUAL", "VALI", "RECUP"):
        payload = new_patient_payload(identity_status=status)
        response = as_user(personas.gp).post("/api/patients", payload, format="json")
        error = assert_error(response, 400)
        assert "vérification enregistrée" in error["fields"]["identity_status"][0]
    assert Patient.objects.count() == before


def test_ins_that_contradicts_the_traits_is_refused_and_nothing_is_stored(personas, as_user):
    before = Patient.objects.count()
    response = as_user(personas.gp).post(
        "/api/patients", new_patient_payload(sex="F", birth_date="1971-05-17"), format="json"
    )
    error = assert_error(response, 400)
    assert "sexe" in error["fields"]["ins"][0] and "année" in error["fields"]["ins"][0]
    assert Patient.objects.count() == before


def test_same_ins_twice_in_one_organisation_is_a_conflict(personas, as_user):
    client = as_user(personas.gp)
    assert client.post("/api/patients", new_patient_payload(), format="json").status_code == 201
    error = assert_error(
        client.post("/api/patients", new_patient_payload(), format="json"), 409, "patient_duplicate"
    )
    assert [c["display_name"] for c in error["candidates"]] == ["DURANT Pierre"]


def test_missing_fields_are_listed(personas, as_user):
    error = assert_error(as_user(personas.gp).post("/api/patients", {}, format="json"), 400)
    assert {"birth_name", "first_names", "birth_date", "sex"} <= set(error["fields"])


def test_a_user_from_another_organisation_sees_nothing_of_this_ones_patients(personas, as_user):
    # The example patient is kept by dr.martin's practice.
    assert as_user(personas.gp).get(f"/api/patients?ins={EXAMPLE_INS}").json()["count"] == 1
    for outsider in (personas.cardiologist, personas.nurse, personas.coordinator):
        response = as_user(outsider).get(f"/api/patients?ins={EXAMPLE_INS}")
        assert response.status_code == 200
        assert response.json() == {"results": [], "count": 0}
    reads = AuditEvent.objects.filter(verb="patient.read").values_list("actor_id", flat=True)
    assert set(reads) == {personas.gp.pk}


def test_billing_staff_and_anonymous_visitors_get_no_patient_data(personas, as_user):
    billing = as_user(personas.billing)
    assert_error(billing.get(f"/api/patients?ins={EXAMPLE_INS}"), 403, "forbidden")
    assert_error(billing.post("/api/patients", new_patient_payload(), format="json"), 403)
    assert_error(billing.post("/api/patients/ins-check", {"ins": EXAMPLE_INS}), 403)
    anonymous = as_user(None)
    assert_error(anonymous.get(f"/api/patients?ins={EXAMPLE_INS}"), 401)
    assert_error(anonymous.post("/api/patients/ins-check", {"ins": EXAMPLE_INS}), 401)


def test_search_needs_a_criterion(personas, as_user):
    assert_error(as_user(personas.gp).get("/api/patients"), 400, "search_required")
