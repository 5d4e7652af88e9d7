"""Authorisation matrix for the group and patient endpoints of issue 18 (items 6 and 7), tried
by every persona (STYLE.md #9). A denial answers in the contract's error shape and leaves the
conversation as it was: participants, name, patient, per-user settings, messages.

The rules (conversations/groups/rules.py): any participant adds, renames, attaches a patient
their organisation keeps, and sets their own mute/pin/archive; only the group's admin (the
creator while present) removes others; everybody leaves except a member taking part through a
team mailbox; outsiders get 404, non-clinical roles never see a patient."""

from __future__ import annotations

from typing import Any

import pytest

from backend.accounts.models import Mailbox
from backend.patients.models import Patient
from conversations import actions
from conversations.groups.models import ConversationPreference
from conversations.models import Conversation, Message, Participant

pytestmark = pytest.mark.django_db

PERSONAS = [
    "gp",
    "cardiologist",
    "coordinator",
    "dermatologist",
    "nurse",
    "secretary",
    "billing",
    "billing_mailbox_member",
    "admin",
    None,
]
TAKING_PART = {"gp": 200, "cardiologist": 200, "coordinator": 200, "secretary": 200}


@pytest.fixture
def world(personas) -> dict[str, Any]:
    team = Mailbox.objects.get(address__startswith="secretariat.cardiologie@")
    group, _ = actions.create_conversation(
        personas.gp,
        users=[personas.cardiologist, personas.coordinator],
        mailboxes=[team],
        title="RCP",
        patient=Patient.objects.get(birth_name="LEFEBVRE"),
    )
    return {
        "c": group.pk,
        "garnier": Patient.objects.get(birth_name="GARNIER").pk,
        "lefebvre": Patient.objects.get(birth_name="LEFEBVRE").pk,
        "dermatologist": personas.dermatologist.pk,
        "coordinator": personas.coordinator.pk,
    }


def _snapshot(conversation_id: Any) -> tuple:
    conversation = Conversation.objects.get(pk=conversation_id)
    return (
        conversation.title,
        conversation.patient_id,
        sorted(
            map(
                str,
                Participant.objects.filter(
                    conversation=conversation, left_at__isnull=True
                ).values_list("user_id", "mailbox_id"),
            )
        ),
        sorted(ConversationPreference.objects.values_list("user_id", "muted", "pinned_at")),
        Message.objects.filter(conversation=conversation).count(),
    )


# (name, method, path, body, {persona: status}, default), in an order that keeps each row
# meaningful for every persona (a removal comes after the additions, leaving last).
ENDPOINTS = [
    (
        "list archived",
        "get",
        "/api/conversations?archived=1",
        None,
        {"billing": 403, "billing_mailbox_member": 403, "admin": 403},
        200,
    ),
    ("pin", "patch", "/api/conversations/{c}/preferences", {"pinned": True}, TAKING_PART, 404),
    ("mute", "patch", "/api/conversations/{c}/preferences", {"muted": True}, TAKING_PART, 404),
    ("rename", "patch", "/api/conversations/{c}", {"title": "RCP du jeudi"}, TAKING_PART, 404),
    (
        "patient record",
        "get",
        "/api/patients/{lefebvre}",
        None,
        {"gp": 200, "billing": 403, "billing_mailbox_member": 403, "admin": 403},
        404,
    ),
    (
        "change the patient",
        "put",
        "/api/conversations/{c}/patient",
        {"patient": "{garnier}"},
        {"gp": 200},  # the others' organisations keep no record of this patient
        404,
    ),
    (
        "add a colleague",
        "post",
        "/api/conversations/{c}/participants",
        {"user": "{dermatologist}"},
        TAKING_PART,
        404,
    ),
    (
        "remove someone else",
        "delete",
        "/api/conversations/{c}/participants/{coordinator}",
        None,
        # the admin removes; the coordinator removing themself is leaving
        {"gp": 204, "coordinator": 204, "cardiologist": 403, "secretary": 403},
        404,
    ),
    (
        "detach the patient",
        "put",
        "/api/conversations/{c}/patient",
        {"patient": None},
        # the coordinator has just left
        {"gp": 200, "cardiologist": 200, "secretary": 200},
        404,
    ),
    (
        "leave",
        "delete",
        "/api/conversations/{c}/participants/{me}",
        None,
        {"gp": 204, "cardiologist": 204, "secretary": 409},
        404,
    ),
]


def _fill(value: Any, world: dict[str, Any], me: Any) -> Any:
    if isinstance(value, str):
        return value.format(me=getattr(me, "pk", "x"), **world)
    if isinstance(value, dict):
        return {k: _fill(v, world, me) for k, v in value.items()}
    return value


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_group_and_patient_endpoint_for_every_persona(personas, as_user, world, persona):
    user = getattr(personas, persona) if persona else None
    client = as_user(user)
    for name, method, path, body, expected, default in ENDPOINTS:
        url = _fill(path, world, user)
        before = _snapshot(world["c"])
        call = getattr(client, method)
        response = call(url, _fill(body, world, user), format="json") if body else call(url)
        want = 401 if user is None else expected.get(persona, default)
        assert response.status_code == want, (name, persona, response.content[:300])
        if want >= 400:
            error = response.json()
            assert set(error) == {"error"} and error["error"]["message"], name
            assert _snapshot(world["c"]) == before, name
        if persona in ("billing", "billing_mailbox_member", "admin") and want < 400:
            text = response.content.decode("utf-8", "replace")
            assert "LEFEBVRE" not in text and "GARNIER" not in text, name
