"""Identity vigilance: « qualifiée » only through a recorded verification with coherent traits,
duplicates offered rather than created, and records of the same person linked.

INSi is the local stand-in (backend/patients/insi.py): the real teleservice is out of reach."""

from __future__ import annotations

import datetime

import pytest

from backend.audit.models import AuditEvent
from backend.patients.ins import OID_TEST, make_ins
from backend.patients.insi import InsiIdentity, LocalInsiStandIn
from backend.patients.models import IdentityVerification, Patient
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_insi():
    LocalInsiStandIn.reset()
    yield
    LocalInsiStandIn.reset()


def payload(**overrides):
    data = {
        "birth_name": "Hébert",
        "first_names": ["Éloïse", "Anne"],
        "birth_date": "1990-07-21",
        "sex": "F",
        "birth_place": "72181",
    }
    data.update(overrides)
    return data


def create(client, **overrides):
    response = client.post("/api/patients", payload(**overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def verify(client, patient_id, document_type="CNI"):
    return client.post(
        f"/api/patients/{patient_id}/identity-verifications",
        {"document_type": document_type},
        format="json",
    )


def register(ins, birth_name="HEBERT", birth_date=datetime.date(1990, 7, 21), sex="F"):
    LocalInsiStandIn.register(
        InsiIdentity(
            ins=ins,
            oid=OID_TEST,
            birth_name=birth_name,
            first_names=("ELOISE", "ANNE"),
            birth_date=birth_date,
            sex=sex,
            birth_place="72181",
        )
    )


def test_a_high_trust_document_and_insi_qualify_and_the_check_is_recorded(personas, as_user):
    client = as_user(personas.gp)
    patient = create(client)
    assert patient["identity_status"] == "PROV" and patient["mssante_address"] is None
    ins = make_ins("F", 1990, 7, "72", "181", 77)
    register(ins)
    response = verify(client, patient["id"], "PASSEPORT")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["patient"]["identity_status"] == "QUAL"
    assert body["patient"]["ins"] == ins
    assert body["patient"]["mssante_address"] == f"{ins}@patient.mssante.fr"
    verification = IdentityVerification.objects.get(patient_id=patient["id"])
    assert verification.verified_by == personas.gp
    assert verification.document_type == "PASSEPORT"
    assert (verification.insi_ins, verification.insi_oid) == (ins, OID_TEST)
    assert verification.outcome == "QUAL" and verification.verified_at is not None
    listed = client.get(f"/api/patients/{patient['id']}/identity-verifications").json()
    assert [v["document_type_label"] for v in listed["results"]] == ["Passeport"]
    assert AuditEvent.objects.filter(
        verb="patient.identity_verified", patient_id=patient["id"]
    ).exists()


def test_traits_that_contradict_the_insi_matricule_prevent_qualification(personas, as_user):
    client = as_user(personas.gp)
    patient = create(client)
    # INSi answers a matricule born in June, in département 77: the record says July, 72.
    register(make_ins("F", 1990, 6, "77", "284", 12))
    error = assert_error(verify(client, patient["id"]), 409, "ins_traits_mismatch")
    assert "mois de naissance" in error["message"] and "lieu de naissance" in error["message"]
    stored = Patient.objects.get(pk=patient["id"])
    assert stored.identity_status == "PROV" and stored.ins == ""
    assert not IdentityVerification.objects.filter(patient=stored).exists()


def test_an_insi_answer_for_another_birth_name_is_refused(personas, as_user):
    client = as_user(personas.gp)
    patient = create(client)
    LocalInsiStandIn.register(
        InsiIdentity(
            ins=make_ins("F", 1990, 7, "72", "181", 5),
            oid=OID_TEST,
            birth_name="HERBERT",
            first_names=("ELOISE",),
            birth_date=datetime.date(1990, 7, 21),
            sex="F",
            birth_place="72181",
        ),
        searched_name="HEBERT",
    )
    error = assert_error(verify(client, patient["id"]), 409, "ins_traits_mismatch")
    assert "nom de naissance" in error["message"]


def test_a_typed_ins_that_insi_does_not_confirm_is_refused(personas, as_user):
    client = as_user(personas.gp)
    typed = make_ins("F", 1990, 7, "72", "181", 300)
    patient = create(client, ins=typed)
    register(make_ins("F", 1990, 7, "72", "181", 301))
    assert_error(verify(client, patient["id"]), 409, "ins_mismatch")
    assert Patient.objects.get(pk=patient["id"]).identity_status == "PROV"


def test_a_low_trust_document_retrieves_the_ins_but_never_qualifies(personas, as_user):
    client = as_user(personas.gp)
    patient = create(client)
    register(make_ins("F", 1990, 7, "72", "181", 78))
    body = verify(client, patient["id"], "LIVRET_FAMILLE").json()
    assert body["patient"]["identity_status"] == "RECUP"
    assert body["patient"]["mssante_address"] is None


def test_without_insi_answer_a_document_validates_and_a_weak_one_is_refused(personas, as_user):
    client = as_user(personas.gp)
    patient = create(client)
    LocalInsiStandIn.refuse("HEBERT", datetime.date(1990, 7, 21), "F")
    error = assert_error(
        verify(client, patient["id"], "ACTE_NAISSANCE"), 400, "identity_document_insufficient"
    )
    assert error["fields"]["document_type"]
    body = verify(client, patient["id"], "TITRE_SEJOUR").json()
    assert body["patient"]["identity_status"] == "VALI" and body["patient"]["ins"] == ""


def test_incomplete_traits_cannot_be_verified(personas, as_user):
    client = as_user(personas.gp)
    patient = create(client, birth_place="")
    error = assert_error(verify(client, patient["id"]), 400, "traits_incomplete")
    assert "birth_place" in error["fields"]


def test_an_unknown_document_type_is_a_field_error(personas, as_user):
    client = as_user(personas.gp)
    patient = create(client)
    error = assert_error(verify(client, patient["id"], "CARTE_VITALE"), 400)
    assert "document_type" in error["fields"]


def test_in_production_the_stand_in_refuses_to_answer(personas, as_user, settings):
    client = as_user(personas.gp)
    patient = create(client)
    settings.PRODUCTION = True
    assert_error(verify(client, patient["id"]), 409, "insi_unavailable")
    assert not IdentityVerification.objects.filter(patient_id=patient["id"]).exists()


def test_only_clinicians_of_the_organisation_verify_or_link(personas, as_user):
    patient = create(as_user(personas.gp))
    for outsider in (personas.cardiologist, personas.billing, personas.secretary):
        response = verify(as_user(outsider), patient["id"])
        assert response.status_code in (403, 404), (outsider, response.content)
        response = as_user(outsider).post(
            f"/api/patients/{patient['id']}/same-person", {"other": patient["id"]}, format="json"
        )
        assert response.status_code in (403, 404)
    assert as_user(None).get(
        f"/api/patients/{patient['id']}/identity-verifications"
    ).status_code in (
        401,
        403,
    )
    assert not IdentityVerification.objects.filter(patient_id=patient["id"]).exists()


def test_a_duplicate_on_the_five_traits_is_offered_not_created(personas, as_user):
    client = as_user(personas.gp)
    first = create(client)
    before = Patient.objects.count()
    # Same person typed differently: no accents, lower case, a hyphen for a space.
    response = client.post(
        "/api/patients",
        payload(birth_name="hebert", first_names=["Eloise"], confirm_new=True),
        format="json",
    )
    error = assert_error(response, 409, "patient_duplicate")
    assert [c["id"] for c in error["candidates"]] == [first["id"]]
    assert error["candidates"][0]["identity_status_label"] == "Identité provisoire"
    assert Patient.objects.count() == before


def test_a_possible_duplicate_is_shown_then_created_on_confirmation(personas, as_user):
    client = as_user(personas.gp)
    first = create(client)
    other_first_name = payload(first_names=["Margot"])
    error = assert_error(
        client.post("/api/patients", other_first_name, format="json"),
        409,
        "patient_possible_duplicate",
    )
    assert [c["id"] for c in error["candidates"]] == [first["id"]]
    confirmed = client.post(
        "/api/patients", {**other_first_name, "confirm_new": True}, format="json"
    )
    assert confirmed.status_code == 201, confirmed.content


def test_records_of_the_same_person_are_linked_to_the_first_one(personas, as_user):
    client = as_user(personas.gp)
    first = create(client)
    second = create(client, first_names=["Elise"], confirm_new=True)
    linked = client.post(
        f"/api/patients/{second['id']}/same-person", {"other": first["id"]}, format="json"
    )
    assert linked.status_code == 200, linked.content
    assert linked.json()["id"] == first["id"]
    stored = Patient.objects.get(pk=second["id"])
    assert str(stored.same_person_as_id) == first["id"] and stored.linked_by == personas.gp
    assert AuditEvent.objects.filter(verb="patient.linked").count() == 2


def test_records_with_different_ins_cannot_be_linked(personas, as_user):
    client = as_user(personas.gp)
    first = create(client, ins=make_ins("F", 1990, 7, "72", "181", 401))
    second = create(
        client,
        ins=make_ins("F", 1990, 7, "72", "181", 402),
        first_names=["Elise"],
        confirm_new=True,
    )
    assert_error(
        client.post(
            f"/api/patients/{second['id']}/same-person", {"other": first["id"]}, format="json"
        ),
        409,
        "link_ins_conflict",
    )
    assert Patient.objects.get(pk=second["id"]).same_person_as_id is None


def test_a_record_of_another_organisation_cannot_be_linked(personas, as_user):
    mine = create(as_user(personas.gp))
    theirs = Patient.objects.exclude(organization_id=mine["organization"]).first()
    assert theirs is not None
    error = assert_error(
        as_user(personas.gp).post(
            f"/api/patients/{mine['id']}/same-person", {"other": str(theirs.pk)}, format="json"
        ),
        400,
        "other_not_found",
    )
    assert error["fields"]["other"]
