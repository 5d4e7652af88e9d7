"""Conversations over REST: creation, history pages, sending, read state, edit/delete,
attachments, and the authorisation matrix for every endpoint."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.accounts.models import Mailbox
from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from conversations import actions
from conversations.models import Attachment, Conversation, Message
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def new_conversation(personas, **kwargs):
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], **kwargs
    )
    return conversation


def send(client, conversation, body="Bonjour", client_id=None, attachments=()):
    return client.post(
        f"/api/conversations/{conversation.pk}/messages",
        {
            "client_id": client_id or str(uuid.uuid4()),
            "body": body,
            "attachments": list(attachments),
        },
        format="json",
    )


def test_creating_a_one_to_one_twice_returns_the_first(personas, as_user):
    gp = as_user(personas.gp)
    first = gp.post(
        "/api/conversations", {"participants": [str(personas.cardiologist.pk)]}, format="json"
    )
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["kind"] == "direct"
    assert body["display_title"] == "Dr Paul Bernard"
    again = as_user(personas.cardiologist).post(
        "/api/conversations", {"participants": [str(personas.gp.pk)]}, format="json"
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_a_group_about_a_patient_with_a_team_mailbox(personas, as_user):
    patient = Patient.objects.get(birth_name="LEFEBVRE")
    team = Mailbox.objects.get(kind="ORG")
    response = as_user(personas.gp).post(
        "/api/conversations",
        {
            "participants": [str(personas.cardiologist.pk), team.address],
            "title": "Mme L.",
            "patient": str(patient.pk),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "group"
    assert body["patient"]["id"] == str(patient.pk)
    assert {p["kind"] for p in body["participants"]} == {"user", "mailbox"}
    # The secretary takes part through the team mailbox.
    listing = as_user(personas.secretary).get("/api/conversations").json()
    assert [c["id"] for c in listing["results"]] == [body["id"]]
    assert AuditEvent.objects.filter(verb="conversation.created", patient_id=patient.pk).exists()


def test_a_patient_the_creator_cannot_see_is_refused(personas, as_user):
    hospital_patient = Patient.objects.get(birth_name="MOREL")  # CH du Mans, not the GP's
    response = as_user(personas.gp).post(
        "/api/conversations",
        {"participants": [str(personas.cardiologist.pk)], "patient": str(hospital_patient.pk)},
        format="json",
    )
    assert_error(response, 404, "not_found")
    assert Conversation.objects.count() == 0


def test_billing_staff_cannot_be_added_nor_start_conversations(personas, as_user):
    response = as_user(personas.gp).post(
        "/api/conversations", {"participants": [str(personas.billing.pk)]}, format="json"
    )
    assert_error(response, 400, "participant_not_allowed")
    response = as_user(personas.billing).post(
        "/api/conversations", {"participants": [str(personas.gp.pk)]}, format="json"
    )
    assert_error(response, 403, "forbidden")
    assert Conversation.objects.count() == 0


def test_unknown_participants_are_named(personas, as_user):
    response = as_user(personas.gp).post(
        "/api/conversations",
        {"participants": [str(uuid.uuid4()), "nobody@demo.mssante.fr"]},
        format="json",
    )
    error = assert_error(response, 400, "participant_unknown")
    assert len(error["fields"]["participants"]) == 2


def test_history_pages_by_seq(personas, as_user):
    conversation = new_conversation(personas)
    gp = as_user(personas.gp)
    for i in range(7):
        assert send(gp, conversation, f"m{i}").status_code == 201
    url = f"/api/conversations/{conversation.pk}/messages"
    latest = gp.get(f"{url}?limit=3").json()
    assert [m["seq"] for m in latest["messages"]] == [5, 6, 7] and latest["has_more"]
    older = gp.get(f"{url}?limit=3&before_seq=5").json()
    assert [m["seq"] for m in older["messages"]] == [2, 3, 4] and older["has_more"]
    after = gp.get(f"{url}?after_seq=5").json()
    assert [m["seq"] for m in after["messages"]] == [6, 7] and not after["has_more"]
    assert_error(gp.get(f"{url}?limit=abc"), 400, "invalid")
    assert_error(gp.get(f"{url}?limit=0"), 400, "invalid")


def test_resending_over_rest_returns_the_stored_message(personas, as_user):
    conversation = new_conversation(personas)
    gp = as_user(personas.gp)
    client_id = str(uuid.uuid4())
    first = send(gp, conversation, "une fois", client_id)
    again = send(gp, conversation, "une fois", client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = new_conversation(personas, title="autre")
    assert_error(send(gp, other, "ailleurs", client_id), 409, "client_id_reused")
    assert Message.objects.count() == 1


def test_empty_and_oversized_bodies_are_refused(personas, as_user, settings):
    settings.MESSAGE_MAX_CHARS = 100
    conversation = new_conversation(personas)
    gp = as_user(personas.gp)
    assert_error(send(gp, conversation, "   "), 400, "body_empty")
    assert_error(send(gp, conversation, "x" * 101), 413, "body_too_long")
    assert_error(send(gp, conversation, "ok", client_id="bad id!"), 400)
    assert Message.objects.count() == 0


def test_read_cursor_only_moves_forward(personas, as_user):
    conversation = new_conversation(personas)
    for i in range(3):
        send(as_user(personas.gp), conversation, f"m{i}")
    cardio = as_user(personas.cardiologist)
    url = f"/api/conversations/{conversation.pk}/read"
    assert cardio.post(url, {"seq": 2}, format="json").json()["seq"] == 2
    assert cardio.post(url, {"seq": 1}, format="json").json()["seq"] == 2
    assert cardio.post(url, {"seq": 99}, format="json").json()["seq"] == 3
    assert_error(cardio.post(url, {"seq": "x"}, format="json"), 400)


def test_edit_and_delete_own_messages_only(personas, as_user):
    conversation = new_conversation(personas)
    gp = as_user(personas.gp)
    message = send(gp, conversation, "premier jet").json()
    url = f"/api/conversations/{conversation.pk}/messages/{message['id']}"
    edited = gp.patch(url, {"body": "version corrigée"}, format="json").json()
    assert edited["body"] == "version corrigée" and edited["edited_at"]
    assert_error(as_user(personas.cardiologist).patch(url, {"body": "pirate"}, format="json"), 403)
    assert_error(as_user(personas.cardiologist).delete(url), 403)
    deleted = gp.delete(url).json()
    assert deleted["deleted"] is True and deleted["body"] == ""
    stored = Message.objects.get(pk=message["id"])
    assert stored.body == "" and stored.seq == 1  # kept in history, text erased
    assert_error(gp.patch(url, {"body": "trop tard"}, format="json"), 409, "message_deleted")


def upload(client, name, data, content_type="application/octet-stream"):
    return client.post(
        "/api/attachments",
        {"file": SimpleUploadedFile(name, data, content_type)},
        format="multipart",
    )


def test_attachment_upload_send_and_download_by_participants_only(personas, as_user):
    conversation = new_conversation(personas)
    gp = as_user(personas.gp)
    uploaded = upload(gp, "compte-rendu échographie.pdf", PDF, "application/pdf")
    assert uploaded.status_code == 201, uploaded.content
    attachment = uploaded.json()
    assert attachment["content_type"] == "application/pdf" and attachment["size"] == len(PDF)
    # Before it is sent only the uploader can fetch it.
    assert_error(
        as_user(personas.cardiologist).get(f"/api/attachments/{attachment['id']}/download"), 404
    )
    message = send(gp, conversation, "", attachments=[attachment["id"]]).json()
    assert message["attachments"][0]["id"] == attachment["id"]
    download = as_user(personas.cardiologist).get(f"/api/attachments/{attachment['id']}/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    for outsider in (personas.nurse, personas.billing):
        assert_error(as_user(outsider).get(f"/api/attachments/{attachment['id']}/download"), 404)
    # An attachment goes with one message only.
    assert_error(
        send(gp, conversation, "encore", attachments=[attachment["id"]]), 400, "attachment_invalid"
    )


def test_inline_preview_only_for_images_and_pdf(personas, as_user):
    conversation = new_conversation(personas)
    gp = as_user(personas.gp)
    image = upload(gp, "plaie.png", PNG).json()
    send(gp, conversation, "photo", attachments=[image["id"]])
    response = gp.get(f"/api/attachments/{image['id']}/download?inline=1")
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Type"] == "image/png"
    # Any other type is downloaded, even when a preview is asked for.
    notes = upload(gp, "notes.txt", b"Bilan du jour").json()
    send(gp, conversation, "notes", attachments=[notes["id"]])
    response = gp.get(f"/api/attachments/{notes['id']}/download?inline=1")
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("virus.exe", b"MZ\x90\x00", 400, "type_not_allowed"),
        ("rapport.pdf", b"MZ\x90\x00 disguised", 400, "type_not_allowed"),
        ("photo.png", b"GIF89a not a png", 400, "type_not_allowed"),
        ("script.sh", b"#!/bin/sh\nrm -rf /", 400, "type_not_allowed"),
        ("notes.txt", b"#!/bin/sh\nrm -rf /", 400, "type_not_allowed"),
        ("vide.pdf", b"", 400, "file_empty"),
    ],
)
def test_disguised_and_forbidden_files_are_refused(personas, as_user, name, data, status, code):
    assert_error(upload(as_user(personas.gp), name, data), status, code)
    assert Attachment.objects.count() == 0


def test_too_large_files_are_refused(personas, as_user, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    assert_error(upload(as_user(personas.gp), "gros.pdf", PDF + b"0" * 2048), 413, "too_large")


def test_path_traversal_in_file_names_is_harmless(personas, as_user):
    response = upload(as_user(personas.gp), "../../etc/passwd.pdf", PDF)
    assert response.status_code == 201
    stored = Attachment.objects.get()
    assert response.json()["name"] == "passwd.pdf"
    assert ".." not in str(stored.file.name) and "passwd" not in str(stored.file.name)


def test_reading_history_about_a_patient_is_audited(personas, as_user):
    patient = Patient.objects.get(birth_name="LEFEBVRE")
    conversation = new_conversation(personas, patient=patient)
    send(as_user(personas.gp), conversation, "Bilan")
    as_user(personas.cardiologist).get(f"/api/conversations/{conversation.pk}/messages")
    assert AuditEvent.objects.filter(
        verb="conversation.history_read", actor=personas.cardiologist, patient_id=patient.pk
    ).exists()
    assert not AuditEvent.objects.filter(data__icontains="Bilan").exists()


# --- Authorisation matrix: every endpoint, every persona -------------------------------------
ENDPOINTS = [
    ("get", "/api/conversations/{c}", None),
    ("get", "/api/conversations/{c}/messages", None),
    ("post", "/api/conversations/{c}/messages", {"client_id": "matrix-0001", "body": "intrus"}),
    ("post", "/api/conversations/{c}/read", {"seq": 1}),
    ("patch", "/api/conversations/{c}/messages/{m}", {"body": "intrus"}),
    ("delete", "/api/conversations/{c}/messages/{m}", None),
    ("post", "/api/conversations/{c}/participants", {"user": "{u}"}),
    ("get", "/api/attachments/{a}/download", None),
]


@pytest.mark.parametrize(("method", "path", "payload"), ENDPOINTS)
@pytest.mark.parametrize(
    "persona", ["nurse", "billing", "billing_mailbox_member", "coordinator", "anonymous"]
)
def test_outsiders_get_nothing_and_change_nothing(
    personas, as_user, method, path, payload, persona
):
    conversation = new_conversation(personas, title="privée")
    gp = as_user(personas.gp)
    attachment = upload(gp, "a.pdf", PDF).json()
    message = send(gp, conversation, "secret", attachments=[attachment["id"]]).json()
    user = None if persona == "anonymous" else getattr(personas, persona)
    url = path.format(c=conversation.pk, m=message["id"], a=attachment["id"])
    body = None
    if payload:
        body = {
            k: (v.format(u=user.pk) if isinstance(v, str) and user else v)
            for k, v in payload.items()
        }
    response = getattr(as_user(user), method)(url, body, format="json")
    assert response.status_code in ((401,) if user is None else (404,)), (
        persona,
        url,
        response.content,
    )
    assert_error(response, response.status_code)
    assert list(Message.objects.values_list("seq", "body", "deleted_at")) == [(1, "secret", None)]
    assert conversation.participants.count() == 2


@pytest.mark.parametrize("persona", ["billing", "billing_mailbox_member", "anonymous"])
def test_conversation_list_and_upload_are_closed_to_non_clinicians(personas, as_user, persona):
    user = None if persona == "anonymous" else getattr(personas, persona)
    client = as_user(user)
    expected = 401 if user is None else 403
    assert_error(client.get("/api/conversations"), expected)
    assert_error(upload(client, "a.pdf", PDF), expected)
    assert Attachment.objects.count() == 0


def test_participants_see_it_and_can_add_a_colleague_to_a_group(personas, as_user):
    conversation = new_conversation(personas, title="RCP")
    cardio = as_user(personas.cardiologist)
    assert cardio.get(f"/api/conversations/{conversation.pk}").status_code == 200
    added = cardio.post(
        f"/api/conversations/{conversation.pk}/participants",
        {"user": str(personas.nurse.pk)},
        format="json",
    )
    assert added.status_code == 200, added.content
    assert as_user(personas.nurse).get(f"/api/conversations/{conversation.pk}").status_code == 200
    system = Message.objects.get(conversation=conversation, kind="system")
    assert "a ajouté Julie Durand" in system.body
    # Leaving: then the conversation is gone for them.
    left = as_user(personas.nurse).delete(
        f"/api/conversations/{conversation.pk}/participants/{personas.nurse.pk}"
    )
    assert left.status_code == 204
    assert_error(as_user(personas.nurse).get(f"/api/conversations/{conversation.pk}"), 404)


def test_a_message_is_only_reachable_under_its_own_conversation(personas, as_user):
    first = new_conversation(personas)
    second = new_conversation(personas, title="autre")
    gp = as_user(personas.gp)
    message = send(gp, second, "dans la seconde").json()
    url = f"/api/conversations/{first.pk}/messages/{message['id']}"
    assert_error(gp.patch(url, {"body": "déplacé"}, format="json"), 404)
    assert_error(gp.delete(url), 404)
    stored = Message.objects.get(pk=message["id"])
    assert (stored.body, stored.deleted_at) == ("dans la seconde", None)


def test_an_upload_whose_transaction_fails_leaves_no_file(personas, as_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Injected fault: nothing in normal use makes the audit insert fail.
    with (
        mock.patch("conversations.uploads.audit.record", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        upload(as_user(personas.gp), "ecg.pdf", PDF)
    assert Attachment.objects.count() == 0
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
