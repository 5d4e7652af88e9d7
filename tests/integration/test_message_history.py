"""Edits keep their history: earlier versions for the audit, seen by the organisation's admin
only; a deleted message's files are no longer downloadable."""

from __future__ import annotations

import uuid

import pytest

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from conversations import actions
from conversations.models import MessageVersion
from tests.conftest import assert_error
from tests.integration.test_teleexpertise_factories import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(personas, as_user):
    patient = Patient.objects.get(birth_name="MOREL")  # kept by CH du Mans
    conversation, _ = actions.create_conversation(
        personas.cardiologist, users=[personas.dermatologist], title="Avis", patient=patient
    )
    return actions.send_message(
        personas.cardiologist, conversation.pk, client_id="m1", body="Première version"
    ).message


def test_edit_then_delete_keeps_each_earlier_version_for_the_admin(personas, as_user, message):
    cardio = as_user(personas.cardiologist)
    url = f"/api/conversations/{message.conversation_id}/messages/{message.pk}"
    assert cardio.patch(url, {"body": "Deuxième version"}, format="json").status_code == 200
    assert cardio.delete(url).status_code == 200
    assert list(MessageVersion.objects.values_list("change", "body")) == [
        ("edited", "Première version"),
        ("deleted", "Deuxième version"),
    ]
    versions = as_user(personas.admin).get(f"/api/audit/messages/{message.pk}/versions")
    assert versions.status_code == 200, versions.content
    assert [v["body"] for v in versions.json()["versions"]] == [
        "Première version",
        "Deuxième version",
    ]
    assert AuditEvent.objects.filter(verb="message.versions_read").exists()
    # Participants see only « Message supprimé », never the earlier texts.
    history = as_user(personas.dermatologist).get(
        f"/api/conversations/{message.conversation_id}/messages"
    )
    assert "version" not in history.content.decode()


@pytest.mark.parametrize(
    "persona",
    [
        "cardiologist",
        "dermatologist",
        "gp",
        "nurse",
        "secretary",
        "billing",
        "billing_mailbox_member",
    ],
)
def test_no_one_but_an_admin_reads_the_versions(personas, as_user, message, persona):
    actions.edit_message(personas.cardiologist, message.pk, "Corrigé")
    response = as_user(getattr(personas, persona)).get(f"/api/audit/messages/{message.pk}/versions")
    assert response.status_code in (403, 404)
    assert not AuditEvent.objects.filter(verb="message.versions_read").exists()


def test_an_admin_of_another_organisation_does_not_find_the_message(personas, as_user, message):
    from tests.integration.test_teleexpertise_factories import make_professional

    practice = personas.gp.professional.memberships.first().organization
    other = make_professional(practice, username="admin.cabinet", role="admin")
    assert_error(as_user(other).get(f"/api/audit/messages/{message.pk}/versions"), 404)
    assert_error(as_user(personas.admin).get("/api/audit/messages/nope/versions"), 404)


def test_a_deleted_messages_attachments_are_no_longer_downloadable(personas, as_user):
    patient = Patient.objects.get(birth_name="MOREL")
    cardio = as_user(personas.cardiologist)
    conversation, _ = actions.create_conversation(
        personas.cardiologist, users=[personas.dermatologist], title="ECG", patient=patient
    )
    file_id = upload(cardio, "ecg.pdf")
    sent = actions.send_message(
        personas.cardiologist,
        conversation.pk,
        client_id="f1",
        body="",
        attachment_ids=[uuid.UUID(file_id)],
    ).message
    derm = as_user(personas.dermatologist)
    assert derm.get(f"/api/attachments/{file_id}/download").status_code == 200
    actions.delete_message(personas.cardiologist, sent.pk)
    for client in (derm, cardio):
        assert_error(client.get(f"/api/attachments/{file_id}/download"), 404)
