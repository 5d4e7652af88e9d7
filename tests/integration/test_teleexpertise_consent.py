"""No request without a recorded consent; a withdrawal closes the request and stops acts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from conversations.models import Conversation
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


def _body(personas, consent):
    body = {
        "expert": str(personas.cardiologist.pk),
        "patient": str(lefebvre().pk),
        "question": "Avis ?",
        "urgency": "urgent",
    }
    if consent is not ...:
        body["consent"] = consent
    return body


@pytest.mark.parametrize(
    "consent",
    [
        ...,
        None,
        {},
        {"method": "oral"},
        {"method": "tacite", "collected_at": "2025-01-01T10:00:00Z"},
        {"method": "written", "collected_at": "2025-01-01T10:00:00Z"},
        {"method": "oral", "collected_at": "2999-01-01T10:00:00Z"},
        {"method": "oral", "collected_at": "2025-01-01T10:00:00Z", "patient_informed": False},
    ],
)
def test_no_consent_no_request(personas, as_user, consent):
    response = as_user(personas.gp).post(
        "/api/teleexpertise/requests", _body(personas, consent), format="json"
    )
    error = assert_error(response, 400)
    assert any(name.startswith("consent") for name in error["fields"]), error
    assert not TeleexpertiseRequest.objects.exists()
    assert not Conversation.objects.exists()


def test_the_action_itself_refuses_a_missing_consent(personas):
    from backend.errors import DomainError

    with pytest.raises(DomainError) as refused:
        actions.create_request(
            personas.gp,
            expert_id=personas.cardiologist.pk,
            patient_id=lefebvre().pk,
            question="Avis ?",
            urgency="normal",
            consent=None,
        )
    assert refused.value.code == "consent_required"


def test_withdrawal_is_recorded_and_closes_the_request(personas, as_user):
    request = new_request(personas.gp, personas.cardiologist, lefebvre())
    response = as_user(personas.gp).post(
        f"/api/teleexpertise/requests/{request.pk}/consent/withdraw"
    )
    body = response.json()["request"]
    assert body["status"] == "closed" and body["closed_reason"] == "consent_withdrawn"
    assert body["consent"]["withdrawn_by"]["id"] == str(personas.gp.pk)
    assert body["consent"]["withdrawn_by"]["display_name"] == personas.gp.display_name
    assert body["consent"]["withdrawn_at"]
    assert AuditEvent.objects.filter(
        verb="teleexpertise.consent_withdrawn", object_id=str(request.pk)
    ).exists()
    expert = as_user(personas.cardiologist)
    assert_error(
        expert.post(f"/api/teleexpertise/requests/{request.pk}/accept"), 409, "invalid_state"
    )


def test_after_withdrawal_nothing_is_filed_nor_declared(personas):
    ensure_tariffs()
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    actions.withdraw_consent(personas.cardiologist, request.pk)
    from backend.errors import DomainError

    with pytest.raises(DomainError) as refused:
        actions.file_request(personas.cardiologist, request.pk)
    assert refused.value.code == "invalid_state"
    assert not Act.objects.exists()


def test_consent_collected_by_and_when_are_kept(personas):
    collected = timezone.now() - datetime.timedelta(days=3)
    request = actions.create_request(
        personas.gp,
        expert_id=personas.cardiologist.pk,
        patient_id=lefebvre().pk,
        question="Avis ?",
        urgency="normal",
        consent=actions.ConsentInput(method="oral", collected_at=collected),
    )
    consent = request.consent
    assert consent.collected_by == personas.gp
    assert consent.collected_at == collected
    assert consent.patient_informed is True
