"""Authorisation matrix of what a message can become (issue 18, item 8): acknowledge an urgent
message, forward it to a conversation, forward it by MSSanté; over REST and the WebSocket
frame's action, tried by every persona (STYLE.md #9). A denial changes nothing: no
acknowledgement, no message, no mail, no audit event."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from backend.audit.models import AuditEvent
from backend.errors import DomainError
from backend.mssante.models import OutboundMessage
from backend.patients.models import Patient
from conversations import actions, urgent
from conversations.message_options import SendOptions
from conversations.models import Message, MessageAcknowledgement
from tests.integration.test_issue17_matrix import DENIED, PERSONAS

pytestmark = pytest.mark.django_db
NURSE_ADDRESS = "julie.durand@demo.mssante.fr"


@pytest.fixture
def world(personas) -> dict[str, Any]:
    conversation, _ = actions.create_conversation(
        personas.gp,
        users=[personas.cardiologist],
        title="Suivi",
        patient=Patient.objects.get(birth_name="LEFEBVRE"),
    )
    target, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title="Autre"
    )
    message = actions.send_message(
        personas.gp,
        conversation.pk,
        client_id="urgent-0001",
        body="Kaliémie à 6,8 : rappelez-moi",
        options=SendOptions(urgent=True),
    ).message
    return {"conversation": conversation, "target": target, "message": message}


def _snapshot() -> tuple[int, ...]:
    return (
        MessageAcknowledgement.objects.count(),
        Message.objects.count(),
        OutboundMessage.objects.count(),
        AuditEvent.objects.count(),
    )


# Participants: the GP (sender) and the cardiologist. Everyone else: 404 for a clinician who
# does not take part, 403 for a role without clinical access; anonymous 401/403.
PARTICIPANT_ANSWERS = {
    "acknowledge": {"gp": 403, "cardiologist": 200},
    "forward": {"gp": 201, "cardiologist": 201},
    "forward-mssante": {"gp": 202, "cardiologist": 202},
}


def _call(browser: Client, name: str, world: dict[str, Any], persona: str | None) -> Any:
    base = f"/api/conversations/{world['conversation'].pk}/messages/{world['message'].pk}"
    if name == "acknowledge":
        return browser.post(f"{base}/acknowledge")
    if name == "forward":
        body = {"conversation": str(world["target"].pk), "client_id": f"fwd-{persona}-00001"}
        return browser.post(f"{base}/forward", body, content_type="application/json")
    return browser.post(
        f"{base}/forward-mssante", {"recipients": [NURSE_ADDRESS]}, content_type="application/json"
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_message_endpoint_for_every_persona(personas, world, persona):
    user = getattr(personas, persona) if persona else None
    browser = Client()
    if user is not None:
        browser.force_login(user)
    for name, answers in PARTICIPANT_ANSWERS.items():
        before = _snapshot()
        response = _call(browser, name, world, persona)
        if user is None:
            assert response.status_code in DENIED, (name, response.status_code)
            assert _snapshot() == before
            continue
        want = answers.get(persona)
        if want is None:
            assert response.status_code in (403, 404), (name, persona, response.status_code)
        else:
            assert response.status_code == want, (name, persona, response.content[:300])
        if response.status_code >= 400:
            error = response.json()
            assert set(error) == {"error"} and error["error"]["message"], name
            assert _snapshot() == before, (name, persona)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p])
def test_the_acknowledge_frame_action_for_every_persona(personas, world, persona):
    user = getattr(personas, persona)
    before = _snapshot()
    if persona == "cardiologist":
        done = urgent.acknowledge_message(user, world["message"].pk)
        assert done.created and done.acknowledgement["user"]["id"] == str(user.pk)
        return
    with pytest.raises(DomainError) as refused:
        urgent.acknowledge_message(user, world["message"].pk)
    assert refused.value.code in {"not_found", "own_message"}, refused.value.code
    assert _snapshot() == before
