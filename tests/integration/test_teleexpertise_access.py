"""Authorisation matrix: every endpoint x gp / cardiologist / nurse / billing / anonymous.
A denial leaves the request, its acts and the outbox unchanged."""

from __future__ import annotations

import pytest

from backend.mssante.models import OutboundMessage
from teleexpertise.models import Act, TeleexpertiseRequest
from tests.conftest import assert_error
from tests.integration.test_teleexpertise_factories import (
    REPORT,
    answered_request,
    ensure_tariffs,
    lefebvre,
    new_request,
)

pytestmark = pytest.mark.django_db


def _snapshot(request):
    request.refresh_from_db()
    return (
        request.status,
        request.updated_at,
        Act.objects.count(),
        OutboundMessage.objects.count(),
        TeleexpertiseRequest.objects.count(),
    )


ACTIONS = [
    ("post", "accept", None),
    ("post", "decline", {"reason": "Non."}),
    ("post", "report", REPORT),
    ("post", "file", {}),
    ("post", "close", None),
    ("post", "consent/withdraw", None),
    ("get", "", None),
    ("get", "report.pdf", None),
    ("get", "filing", None),
    ("post", "take", None),
]


@pytest.mark.parametrize(("method", "path", "data"), ACTIONS)
@pytest.mark.parametrize(
    "persona", ["nurse", "billing", "billing_mailbox_member", "dermatologist", "secretary"]
)
def test_outsiders_get_404_on_every_request_path_and_change_nothing(
    personas, as_user, method, path, data, persona
):
    ensure_tariffs()
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    before = _snapshot(request)
    url = f"/api/teleexpertise/requests/{request.pk}" + (f"/{path}" if path else "")
    client = as_user(getattr(personas, persona))
    response = (
        getattr(client, method)(url, data, format="json") if data else getattr(client, method)(url)
    )
    assert_error(response, 404, "not_found")
    assert _snapshot(request) == before


@pytest.mark.parametrize(("method", "path", "data"), ACTIONS)
def test_anonymous_gets_401_everywhere(personas, as_user, method, path, data):
    request = new_request(personas.gp, personas.cardiologist, lefebvre())
    before = _snapshot(request)
    url = f"/api/teleexpertise/requests/{request.pk}" + (f"/{path}" if path else "")
    client = as_user(None)
    response = (
        getattr(client, method)(url, data, format="json") if data else getattr(client, method)(url)
    )
    assert response.status_code in (401, 403)
    assert _snapshot(request) == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/teleexpertise/requests",
        "/api/teleexpertise/requests/pending",
        "/api/teleexpertise/experts",
        "/api/teleexpertise/experts/me",
    ],
)
def test_billing_staff_have_no_clinical_listing(personas, as_user, path):
    assert_error(as_user(personas.billing).get(path), 403, "forbidden")
    assert_error(as_user(personas.billing).get(path, {"patient": str(lefebvre().pk)}), 403)


def test_billing_cannot_create_a_request(personas, as_user):
    body = {
        "expert": str(personas.cardiologist.pk),
        "patient": str(lefebvre().pk),
        "question": "?",
        "consent": {
            "method": "oral",
            "collected_at": "2025-01-01T10:00:00Z",
            "patient_informed": True,
        },
    }
    assert_error(
        as_user(personas.billing).post("/api/teleexpertise/requests", body, format="json"), 403
    )
    assert not TeleexpertiseRequest.objects.exists()


def test_a_patient_the_requester_cannot_see_is_not_found(personas, as_user):
    from backend.patients.models import Patient

    hospital_patient = Patient.objects.get(birth_name="MOREL")
    body = {
        "expert": str(personas.cardiologist.pk),
        "patient": str(hospital_patient.pk),
        "question": "?",
        "consent": {
            "method": "oral",
            "collected_at": "2025-01-01T10:00:00Z",
            "patient_informed": True,
        },
    }
    assert_error(as_user(personas.gp).post("/api/teleexpertise/requests", body, format="json"), 404)
    assert not TeleexpertiseRequest.objects.exists()


def test_parties_see_it_and_outsiders_do_not_list_it(personas, as_user):
    request = new_request(personas.gp, personas.cardiologist, lefebvre())
    for user in (personas.gp, personas.cardiologist):
        listed = as_user(user).get("/api/teleexpertise/requests").json()["requests"]
        assert [r["id"] for r in listed] == [str(request.pk)]
        assert as_user(user).get(f"/api/teleexpertise/requests/{request.pk}").status_code == 200
    assert as_user(personas.nurse).get("/api/teleexpertise/requests").json()["requests"] == []
    sent = as_user(personas.gp).get("/api/teleexpertise/requests", {"role": "received"})
    assert sent.json()["requests"] == []


def test_requester_gets_403_on_expert_actions_and_nothing_changes(personas, as_user):
    ensure_tariffs()
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    before = _snapshot(request)
    gp = as_user(personas.gp)
    assert_error(gp.post(f"/api/teleexpertise/requests/{request.pk}/file", {}, format="json"), 403)
    assert_error(
        gp.post(f"/api/teleexpertise/requests/{request.pk}/report", REPORT, format="json"), 403
    )
    assert _snapshot(request) == before


def test_unknown_and_malformed_ids_are_not_found(personas, as_user):
    gp = as_user(personas.gp)
    for rid in ["00000000-0000-0000-0000-000000000000", "nope"]:
        assert_error(gp.get(f"/api/teleexpertise/requests/{rid}"), 404)
    assert_error(
        as_user(personas.billing).post(
            "/api/billing/acts/nope/transition", {"status": "paid"}, format="json"
        ),
        404,
    )


def test_billing_act_transition_is_closed_to_clinicians(personas, as_user):
    ensure_tariffs()
    from teleexpertise import actions

    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    actions.file_request(personas.cardiologist, request.pk)
    act = Act.objects.get(code="TE2")
    for user in (personas.gp, personas.cardiologist, personas.nurse):
        response = as_user(user).post(
            f"/api/billing/acts/{act.pk}/transition", {"status": "transmitted"}, format="json"
        )
        assert_error(response, 403)
    act.refresh_from_db()
    assert act.status == "declared"
