"""Issue 17's teleexpertise rules: each act stands alone, consent belongs to one patient and one
request, filing is seen before it happens, requests routed to a specialty team."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from backend.accounts.models import Mailbox
from backend.audit.models import AuditEvent
from backend.mssante.models import OutboundRecipient
from teleexpertise import actions
from teleexpertise.models import Act, TeleexpertiseRequest
from tests.conftest import assert_error
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    lefebvre,
    new_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tariffs(db):
    ensure_tariffs()


def _team():
    return Mailbox.objects.get(address__startswith="secretariat.cardiologie@")


# --- Rule 2: each act stands alone --------------------------------------------------------


def test_rqd_at_four_of_four_never_blocks_the_experts_te2(personas, as_user):
    patient = lefebvre()
    for _ in range(4):  # four RQD for the GP, with another expert
        request = answered_request(personas.gp, personas.dermatologist, patient)
        actions.file_request(personas.dermatologist, request.pk)
    fifth = answered_request(personas.gp, personas.cardiologist, patient)
    preview = as_user(personas.cardiologist).get(f"/api/teleexpertise/requests/{fifth.pk}/filing")
    year = timezone.localdate().year
    assert preview.json()["acts"]["RQD"]["label"] == f"RQD : 4/4 pour ce patient en {year}"
    assert preview.json()["acts"]["TE2"]["label"] == f"TE2 : 0/4 pour ce patient en {year}"
    response = as_user(personas.cardiologist).post(
        f"/api/teleexpertise/requests/{fifth.pk}/file", {}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()["request"]
    assert [a["code"] for a in body["acts"]] == ["TE2"]
    assert [(r["code"], r["reason"]) for r in body["act_refusals"]] == [
        ("RQD", "act_quota_reached")
    ]
    assert Act.objects.filter(request=fifth, code="TE2").exists()
    assert not Act.objects.filter(request=fifth, code="RQD").exists()
    event = AuditEvent.objects.get(verb="teleexpertise.filed", object_id=str(fifth.pk))
    assert event.data["acts"] == ["TE2"] and event.data["refused"] == ["RQD"]


# --- Rule 3: consent belongs to one patient and one request ---------------------------------


def _body(personas, **consent):
    base = {
        "method": "oral",
        "collected_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "patient_informed": True,
        "patient": str(lefebvre().pk),
    }
    base.update(consent)
    return {
        "expert": str(personas.cardiologist.pk),
        "patient": str(lefebvre().pk),
        "question": "Avis ?",
        "consent": {k: v for k, v in base.items() if v is not ...},
    }


def _days_ago(days):
    return (timezone.now() - datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("consent", "field", "code"),
    [
        ({"patient_informed": ...}, "consent.patient_informed", None),
        ({"patient_informed": False}, "consent.patient_informed", None),
        ({"collected_at": _days_ago(-2)}, "consent.collected_at", None),
        ({"collected_at": "1950-01-01T10:00:00+00:00"}, "consent.collected_at", None),
        ({"collected_at": _days_ago(91)}, "consent.collected_at", "consent_too_old"),
        ({"patient": "00000000-0000-0000-0000-000000000001"}, "consent.patient", None),
        ({"consenter": "representative"}, "consent.representative_name", None),
        (
            {"consenter": "representative", "representative_name": "Mme LEFEBVRE Anne"},
            "consent.representative_quality",
            None,
        ),
        ({"method": "written"}, "consent.document", None),
    ],
)
def test_each_bad_consent_is_refused_with_its_field_error(personas, as_user, consent, field, code):
    response = as_user(personas.gp).post(
        "/api/teleexpertise/requests", _body(personas, **consent), format="json"
    )
    error = assert_error(response, 400, code)
    assert field in error["fields"], error
    assert not TeleexpertiseRequest.objects.exists()


def test_consent_before_the_patients_birth_is_refused(personas, as_user):
    birth = lefebvre().birth_date
    before = datetime.datetime.combine(birth - datetime.timedelta(days=1), datetime.time(12))
    response = as_user(personas.gp).post(
        "/api/teleexpertise/requests",
        _body(personas, collected_at=before.isoformat() + "+00:00"),
        format="json",
    )
    # The delay rule would refuse it too: the birth rule is checked first and named.
    assert assert_error(response, 400, "consent_before_birth")["fields"]["consent.collected_at"]


def test_consent_given_for_another_patient_is_refused(personas, as_user):
    from backend.patients.models import Patient

    other = (
        Patient.objects.exclude(pk=lefebvre().pk)
        .filter(organization=lefebvre().organization)
        .first()
    )
    assert other is not None
    response = as_user(personas.gp).post(
        "/api/teleexpertise/requests", _body(personas, patient=str(other.pk)), format="json"
    )
    assert_error(response, 400, "consent_other_patient")


def test_a_legal_representative_consent_is_recorded_by_name_and_quality(personas, as_user):
    response = as_user(personas.gp).post(
        "/api/teleexpertise/requests",
        _body(
            personas,
            consenter="representative",
            representative_name="M. LEFEBVRE Paul",
            representative_quality="guardian",
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    consent = response.json()["request"]["consent"]
    assert consent["consenter"] == "representative"
    assert consent["representative_name"] == "M. LEFEBVRE Paul"
    assert consent["representative_quality"] == "guardian"
    assert consent["collected_by"]["id"] == str(personas.gp.pk)


# --- Rule 4: filing is seen before it happens ---------------------------------------------


def test_the_expert_sees_every_recipient_and_the_visibility_choice_before_filing(personas, as_user):
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    preview = as_user(personas.cardiologist).get(f"/api/teleexpertise/requests/{request.pk}/filing")
    assert preview.status_code == 200
    body = preview.json()
    roles = [r["role"] for r in body["recipients"]]
    assert roles == ["requester", "dpi", "patient_record"]  # the GP is the referring doctor
    assert {v["value"] for v in body["visibilities"]} >= {"normal", "invisible_patient"}
    assert AuditEvent.objects.filter(verb="teleexpertise.filing_previewed").exists()


def test_filing_records_the_visibility_and_shows_each_delivery_status(
    personas, as_user, django_capture_on_commit_callbacks
):
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    with django_capture_on_commit_callbacks(execute=False):
        response = as_user(personas.cardiologist).post(
            f"/api/teleexpertise/requests/{request.pk}/file",
            {"visibility": "invisible_patient"},
            format="json",
        )
    assert response.status_code == 200, response.content
    request.report.refresh_from_db()
    assert request.report.dmp_visibility == "invisible_patient"
    deliveries = response.json()["request"]["deliveries"]
    assert {d["role"] for d in deliveries} == {"requester", "dpi", "patient_record"}
    assert {d["status"] for d in deliveries} == {"queued"}
    # One recipient fails: the requester's page shows it with its reason.
    failed = OutboundRecipient.objects.get(address="dpi.ch-mans@demo.mssante.fr")
    OutboundRecipient.objects.filter(pk=failed.pk).update(status="failed", reason="550 inconnu")
    shown = as_user(personas.gp).get(f"/api/teleexpertise/requests/{request.pk}").json()
    dpi = next(d for d in shown["request"]["deliveries"] if d["role"] == "dpi")
    assert (dpi["status"], dpi["reason"]) == ("failed", "550 inconnu")


def test_an_unknown_visibility_is_refused_and_nothing_is_filed(personas, as_user):
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    response = as_user(personas.cardiologist).post(
        f"/api/teleexpertise/requests/{request.pk}/file", {"visibility": "public"}, format="json"
    )
    assert "visibility" in assert_error(response, 400)["fields"]
    request.refresh_from_db()
    assert request.status == "answered" and not Act.objects.exists()


# --- Rule 5: requests as work, routed to a specialty team ---------------------------------


def _team_request(personas, urgency="normal"):
    return actions.create_request(
        personas.gp,
        team_id=_team().pk,
        patient_id=lefebvre().pk,
        question="Souffle : avis de l'équipe ?",
        urgency=urgency,
        consent=actions.ConsentInput(
            method="oral", collected_at=timezone.now() - datetime.timedelta(hours=1)
        ),
    )


def test_a_team_request_is_seen_by_the_secretariat_and_taken_by_one_expert(personas, as_user):
    request = _team_request(personas)
    for user in (personas.secretary, personas.cardiologist):
        listed = as_user(user).get("/api/teleexpertise/requests", {"role": "received"})
        assert [r["id"] for r in listed.json()["requests"]] == [str(request.pk)]
        assert listed.json()["requests"][0]["team"]["id"] == str(_team().pk)
        assert as_user(user).get("/api/teleexpertise/requests/pending").json() == {"pending": 1}
    # The secretariat sees it but cannot take it.
    refused = as_user(personas.secretary).post(f"/api/teleexpertise/requests/{request.pk}/take")
    assert_error(refused, 403)
    taken = as_user(personas.cardiologist).post(f"/api/teleexpertise/requests/{request.pk}/take")
    assert taken.status_code == 200, taken.content
    body = taken.json()["request"]
    assert body["expert"]["id"] == str(personas.cardiologist.pk)
    assert body["status"] == "accepted"
    again = as_user(personas.cardiologist).post(f"/api/teleexpertise/requests/{request.pk}/take")
    assert_error(again, 409, "already_taken")
    assert as_user(personas.secretary).get("/api/teleexpertise/requests/pending").json() == {
        "pending": 1
    }


def test_a_billing_clerk_member_of_the_team_mailbox_never_sees_the_request(personas, as_user):
    clerk_user = personas.billing_mailbox_member
    assert _team().members.filter(pk=clerk_user.professional.pk).exists()
    request = _team_request(personas)
    clerk = as_user(clerk_user)
    assert_error(clerk.get("/api/teleexpertise/requests"), 403)
    assert_error(clerk.get("/api/teleexpertise/requests/pending"), 403)
    for path in ("", "/filing", "/report.pdf"):
        assert_error(clerk.get(f"/api/teleexpertise/requests/{request.pk}{path}"), 404)
    assert_error(clerk.post(f"/api/teleexpertise/requests/{request.pk}/take"), 404)
    assert not request.conversation.participants.filter(user=clerk_user).exists()


def test_received_requests_filter_by_status_urgency_and_due_date(personas, as_user):
    urgent = _team_request(personas, urgency="urgent")
    late = new_request(personas.gp, personas.cardiologist, lefebvre())
    TeleexpertiseRequest.objects.filter(pk=late.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    client = as_user(personas.cardiologist)

    def ids(**params):
        rows = client.get("/api/teleexpertise/requests", {"role": "received", **params})
        assert rows.status_code == 200, rows.content
        return {r["id"] for r in rows.json()["requests"]}

    assert ids() == {str(urgent.pk), str(late.pk)}
    assert ids(urgency="urgent") == {str(urgent.pk)}
    assert ids(due="overdue") == {str(late.pk)}
    assert ids(status="accepted") == set()
    assert_error(client.get("/api/teleexpertise/requests", {"due": "hier"}), 400)
    assert AuditEvent.objects.filter(verb="teleexpertise.list_read").exists()


def test_the_question_attachments_show_on_the_request_page(personas, as_user):
    from tests.integration.test_teleexpertise_factories import upload

    gp = as_user(personas.gp)
    ecg = upload(gp, "ecg.pdf")
    body = _body(personas)
    body["attachments"] = [ecg]
    created = gp.post("/api/teleexpertise/requests", body, format="json")
    assert created.status_code == 201, created.content
    shown = as_user(personas.cardiologist).get(
        f"/api/teleexpertise/requests/{created.json()['request']['id']}"
    )
    assert [a["name"] for a in shown.json()["request"]["attachments"]] == ["ecg.pdf"]


def test_the_expert_search_offers_the_specialty_teams(personas, as_user):
    body = as_user(personas.gp).get("/api/teleexpertise/experts").json()
    assert [t["id"] for t in body["teams"]] == [str(_team().pk)]
    assert body["teams"][0]["kind"] == "team"
