"""Authorisation matrix for every endpoint issue 17 added, tried by every persona (STYLE.md #9).

Expected answers per persona; a denial also leaves the acts, the requests and (for the
journal and the message versions) the audit trail unchanged.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from backend.accounts.models import Mailbox
from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from conversations import actions as conversation_actions
from teleexpertise import actions
from teleexpertise.models import Act, TeleexpertiseRequest
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    lefebvre,
)

pytestmark = pytest.mark.django_db

PERSONAS = [
    "gp",
    "cardiologist",
    "dermatologist",
    "nurse",
    "coordinator",
    "secretary",
    "billing",
    "billing_mailbox_member",
    "admin",
    None,
]
DENIED = (401, 403)


@pytest.fixture
def world(personas) -> dict[str, Any]:
    ensure_tariffs()
    answered = answered_request(personas.gp, personas.cardiologist, lefebvre())
    filed = answered_request(personas.gp, personas.dermatologist, lefebvre())
    actions.file_request(personas.dermatologist, filed.pk)
    team = Mailbox.objects.get(address__startswith="secretariat.cardiologie@")
    team_request = actions.create_request(
        personas.gp,
        team_id=team.pk,
        patient_id=lefebvre().pk,
        question="Avis de l'équipe ?",
        urgency="normal",
        consent=actions.ConsentInput(
            method="oral", collected_at=timezone.now() - datetime.timedelta(hours=1)
        ),
    )
    conversation, _ = conversation_actions.create_conversation(
        personas.cardiologist,
        users=[personas.dermatologist],
        title="Avis",
        patient=Patient.objects.get(birth_name="MOREL"),
    )
    message = conversation_actions.send_message(
        personas.cardiologist, conversation.pk, client_id="x1", body="Texte"
    ).message
    conversation_actions.edit_message(personas.cardiologist, message.pk, "Texte corrigé")
    return {
        "answered": answered,
        "team_request": team_request,
        "act": Act.objects.get(request=filed, code="TE2"),
        "message": message,
    }


def _snapshot() -> tuple:
    return (
        sorted(Act.objects.values_list("id", "status")),
        sorted(TeleexpertiseRequest.objects.values_list("id", "status", "expert_id")),
    )


# (name, method, path template, body, {persona: expected status}, default for the others)
ENDPOINTS = [
    (
        "pending badge",
        "get",
        "/api/teleexpertise/requests/pending",
        None,
        {"billing": 403, "billing_mailbox_member": 403, "admin": 403},
        200,
    ),
    (
        "filing preview",
        "get",
        "/api/teleexpertise/requests/{answered}/filing",
        None,
        {"gp": 200, "cardiologist": 200},
        404,
    ),
    (
        "team request filing preview",
        "get",
        "/api/teleexpertise/requests/{team_request}/filing",
        None,
        {"gp": 200, "cardiologist": 200, "secretary": 200},
        404,
    ),
    (
        "bulk act transition",
        "post",
        "/api/billing/acts/transition",
        {"acts": ["{act}"], "status": "transmitted"},
        {"billing": 200, "billing_mailbox_member": 200, "admin": 200},
        403,
    ),
    ("my acts", "get", "/api/billing/my-acts", None, {}, 200),
    ("my acts csv", "get", "/api/billing/my-acts.csv", None, {}, 200),
    ("my acts xlsx", "get", "/api/billing/my-acts.xlsx", None, {}, 200),
    ("journal patients", "get", "/api/audit/journal/patients?q=mor", None, {"admin": 200}, 403),
    ("journal events", "get", "/api/audit/journal/events", None, {"admin": 200}, 403),
    ("journal csv", "get", "/api/audit/journal/events.csv", None, {"admin": 200}, 403),
    (
        "message versions",
        "get",
        "/api/audit/messages/{message}/versions",
        None,
        {"admin": 200},
        403,
    ),
    # Last: a successful take changes the request the earlier rows read.
    (
        "take a team request",
        "post",
        "/api/teleexpertise/requests/{team_request}/take",
        {},
        {"gp": 403, "secretary": 403, "cardiologist": 200},
        404,
    ),
]


def _fill(text: str, world: dict[str, Any]) -> str:
    return text.format(
        answered=world["answered"].pk,
        team_request=world["team_request"].pk,
        act=world["act"].pk,
        message=world["message"].pk,
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_new_endpoint_for_every_persona(personas, as_user, world, persona):
    """One world per persona, every endpoint in turn (the rows are in a safe order)."""
    user = getattr(personas, persona) if persona else None
    client = as_user(user)
    guarded = ["audit.journal_read", "message.versions_read"]
    for name, method, path, body, expected, default in ENDPOINTS:
        url = _fill(path, world)
        payload = {
            k: ([_fill(x, world) for x in v] if isinstance(v, list) else v)
            for k, v in (body or {}).items()
        }
        before = _snapshot()
        audit_before = AuditEvent.objects.filter(verb__in=guarded).count()
        response = client.post(url, payload, format="json") if method == "post" else client.get(url)
        if user is None:
            assert response.status_code in DENIED, (name, response.status_code)
            assert _snapshot() == before
            continue
        want = expected.get(persona, default)
        assert response.status_code == want, (name, persona, response.content[:300])
        if want >= 400:
            error = response.json()
            assert set(error) == {"error"} and error["error"]["message"], name
            assert _snapshot() == before, name
            assert AuditEvent.objects.filter(verb__in=guarded).count() == audit_before, name
        elif persona in ("billing", "billing_mailbox_member"):
            # Whatever a clerk may open, nothing clinical comes back.
            text = response.content.decode("utf-8", "replace")
            for word in ("question", "Souffle", "report", "Texte"):
                assert word not in text, (name, word)
