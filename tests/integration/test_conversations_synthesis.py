"""Conversation synthesis: the PDF (read back with pypdf), its progress and download, sending it
over MSSanté to colleagues and to the patient's record, the audit, and who may do what."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from email import policy
from email.parser import BytesParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from backend.audit.models import AuditEvent
from backend.mssante.models import OutboundMessage
from backend.patients.models import Patient
from conversations import actions, events, uploads
from conversations.models import Conversation, Export, Message
from conversations.syntheses import actions as exports
from conversations.syntheses import rendering
from conversations.syntheses.pdf import content_digest
from conversations.syntheses.rendering import render_export, synthesis_data
from tests.conftest import assert_error
from tests.support.mssante import attachments, eager_tasks, zip_members

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NURSE_ADDRESS = "julie.durand@demo.mssante.fr"
ACCENTS = "« éàçù » Œdème, goût, Noël"
LONG_WORD = "hémoglobine" * 40  # 440 characters without a space: must wrap


@pytest.fixture(autouse=True)
def _media_and_eager(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with eager_tasks():
        yield


@pytest.fixture
def frames(monkeypatch):
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(
        events, "_dispatch", lambda users, frame, origin: sent.append((users, frame))
    )
    return sent


def conversation_about(personas, patient_name="LEFEBVRE", **kwargs):
    patient = Patient.objects.get(birth_name=patient_name) if patient_name else None
    conversation, _ = actions.create_conversation(
        personas.gp,
        users=[personas.cardiologist],
        title=kwargs.pop("title", "Suivi cardiologique"),
        patient=patient,
        **kwargs,
    )
    return conversation


def post(conversation, user, body, **kwargs):
    return actions.send_message(
        user, conversation.pk, client_id=str(uuid.uuid4()), body=body, **kwargs
    ).message


def synthesis(client, conversation, commit, **data):
    with commit(execute=True):
        return client.post(f"/api/conversations/{conversation.pk}/synthesis", data, format="json")


def pdf_text(client, export_id):
    response = client.get(f"/api/exports/{export_id}/download")
    assert response.status_code == 200, response.content
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() for page in reader.pages]
    return data, response, pages


def done_export(personas, as_user, commit, conversation=None, **data):
    conversation = conversation or conversation_about(personas)
    if not conversation.last_seq:
        post(conversation, personas.gp, f"Bonjour {ACCENTS}")
    response = synthesis(as_user(personas.gp), conversation, commit, **data)
    assert response.status_code == 202, response.content
    export = Export.objects.get(pk=response.json()["export"]["id"])
    assert export.status == Export.Status.DONE
    return export


def test_the_synthesis_pdf_has_everyone_every_message_accents_pages_and_its_fingerprint(
    personas, as_user, django_capture_on_commit_callbacks, frames
):
    conversation = conversation_about(personas)
    gp, cardiologist = personas.gp, personas.cardiologist
    upload = SimpleUploadedFile("ECG de repos.pdf", PDF, content_type="application/pdf")
    attachment = uploads.upload_attachment(gp, upload)
    post(conversation, gp, f"Bonjour, {ACCENTS}.", attachment_ids=[attachment.pk])
    post(conversation, cardiologist, "<script>alert('x')</script> & <b>pas du gras</b>")
    post(conversation, gp, LONG_WORD)
    for n in range(60):
        post(conversation, cardiologist if n % 2 else gp, f"Message numéro {n} : RAS, à revoir.")
    actions.mark_read(cardiologist, conversation.pk, 3)
    client = as_user(gp)

    response = synthesis(client, conversation, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    queued = response.json()["export"]
    assert set(queued) >= {"id", "status", "progress", "download", "sha256", "created_at", "error"}
    detail = client.get(f"/api/exports/{queued['id']}").json()
    assert detail["status"] == "done" and detail["progress"] == 100 and detail["error"] is None
    assert detail["download"] == f"/api/exports/{queued['id']}/download"
    data, download, pages = pdf_text(client, queued["id"])
    assert download["Content-Disposition"].startswith("attachment")
    assert hashlib.sha256(data).hexdigest() == detail["sha256"]
    text = "\n".join(pages)
    flat = re.sub(r"\s+", "", text)
    export = Export.objects.get(pk=queued["id"])
    for needle in (
        "Synthèse de conversation",
        "LEFEBVRE",
        "Claire Martin",
        "Paul Bernard",
        gp.professional.rpps,
        cardiologist.professional.rpps,
        "Cabinet médical de la Gare",
        ACCENTS,
        "<script>alert('x')</script> & <b>pas du gras</b>",
        "ECG de repos.pdf",
        "Vu par Dr Paul Bernard",
        f"Document {export.document_id}",
        f"Empreinte SHA-256 du contenu des messages : {export.content_sha256}",
    ):
        assert needle in text, needle
    assert LONG_WORD in flat  # wrapped over several lines, nothing lost
    for n in range(60):
        assert f"Message numéro {n} : RAS, à revoir." in text
    total = len(pages)
    assert total > 1
    for number, page in enumerate(pages, start=1):
        assert f"page {number} / {total}" in page
        assert export.document_id in page
    # The footer fingerprint is the digest of the messages' canonical serialisation.
    data_export = synthesis_data(export)
    assert content_digest(data_export.messages) == export.content_sha256
    # The requester followed the progress over the WebSocket, up to 100.
    updates = [f["export"] for users, f in frames if f["type"] == "export.updated"]
    assert all(users == [str(gp.pk)] for users, f in frames if f["type"] == "export.updated")
    assert updates[-1]["status"] == "done" and updates[-1]["progress"] == 100
    assert [u["progress"] for u in updates] == sorted(u["progress"] for u in updates)


def test_the_requests_and_downloads_are_audited_with_the_patient(
    personas, as_user, django_capture_on_commit_callbacks
):
    export = done_export(personas, as_user, django_capture_on_commit_callbacks)
    patient_id = export.conversation.patient_id
    requested = AuditEvent.objects.get(verb="export.requested")
    assert (requested.actor, requested.patient_id) == (personas.gp, patient_id)
    assert requested.object_id == str(export.pk)
    assert ACCENTS not in str(requested.data)
    pdf_text(as_user(personas.cardiologist), export.pk)  # another participant may download
    downloaded = AuditEvent.objects.get(verb="export.downloaded")
    assert (downloaded.actor, downloaded.patient_id) == (personas.cardiologist, patient_id)


def test_a_range_exports_only_those_messages(personas, as_user, django_capture_on_commit_callbacks):
    conversation = conversation_about(personas, title="")
    for n in range(1, 8):
        post(conversation, personas.gp, f"Ligne {n} é")
    conversation.refresh_from_db()
    system_messages = conversation.last_seq - 7
    first, last = system_messages + 3, system_messages + 5
    export = done_export(
        personas,
        as_user,
        django_capture_on_commit_callbacks,
        conversation=conversation,
        from_seq=first,
        to_seq=last,
    )
    _, _, pages = pdf_text(as_user(personas.gp), export.pk)
    text = "\n".join(pages)
    assert [n for n in range(1, 8) if f"Ligne {n} é" in text] == [3, 4, 5]
    assert f"du message n° {first} au message n° {last}" in text


@pytest.mark.parametrize(
    ("data", "field"),
    [({"from_seq": 5, "to_seq": 2}, "to_seq"), ({"from_seq": 999}, "from_seq")],
)
def test_a_bad_range_is_refused(personas, as_user, django_capture_on_commit_callbacks, data, field):
    conversation = conversation_about(personas)
    response = synthesis(
        as_user(personas.gp), conversation, django_capture_on_commit_callbacks, **data
    )
    error = assert_error(response, 400, "invalid_range")
    assert field in error["fields"]
    assert Export.objects.count() == 0


def test_billing_staff_and_non_participants_can_do_nothing_with_an_export(
    personas, as_user, django_capture_on_commit_callbacks
):
    export = done_export(personas, as_user, django_capture_on_commit_callbacks)
    conversation = export.conversation
    before = (Export.objects.count(), AuditEvent.objects.count(), OutboundMessage.objects.count())
    for user, code in ((personas.billing, 403), (personas.nurse, 404), (None, 401)):
        client = as_user(user)
        send = {"recipients": [NURSE_ADDRESS], "to_patient_record": True}
        with django_capture_on_commit_callbacks(execute=True):
            responses = [
                client.post(f"/api/conversations/{conversation.pk}/synthesis", {}, format="json"),
                client.get(f"/api/exports/{export.pk}"),
                client.get(f"/api/exports/{export.pk}/download"),
                client.post(f"/api/exports/{export.pk}/send", send, format="json"),
            ]
        for response in responses:
            assert_error(response, code)
    after = (Export.objects.count(), AuditEvent.objects.count(), OutboundMessage.objects.count())
    assert after == before
    # An unknown export is the same 404 as someone else's.
    assert_error(as_user(personas.nurse).get(f"/api/exports/{uuid.uuid4()}"), 404, "not_found")


def _mail(message_id):
    outbound = OutboundMessage.objects.get(pk=message_id)
    return outbound, BytesParser(policy=policy.default).parsebytes(bytes(outbound.mime))


def test_sending_to_a_colleague_queues_one_mail_with_the_pdf(
    personas, as_user, django_capture_on_commit_callbacks
):
    conversation = conversation_about(personas, patient_name=None)
    export = done_export(personas, as_user, django_capture_on_commit_callbacks, conversation)
    response = as_user(personas.gp).post(
        f"/api/exports/{export.pk}/send", {"recipients": [NURSE_ADDRESS]}, format="json"
    )
    assert response.status_code == 202, response.content
    [sent] = response.json()["messages"]
    assert sent["status"] == "queued"
    outbound, mail = _mail(sent["id"])
    assert [r.address for r in outbound.recipients.all()] == [NURSE_ADDRESS]
    assert outbound.sender_address == "claire.martin@demo.mssante.fr"
    assert (outbound.related_type, outbound.related_id) == ("conversations.export", str(export.pk))
    files = attachments(mail)
    with export.file.open("rb") as handle:
        assert files == {f"{export.document_id}.pdf": ("application/pdf", handle.read())}
    event = AuditEvent.objects.get(verb="export.sent")
    assert event.data["message"] == sent["id"] and event.data["patient_record"] is False


def test_sending_to_colleagues_and_the_patient_record_makes_two_health_document_mails(
    personas, as_user, django_capture_on_commit_callbacks
):
    export = done_export(personas, as_user, django_capture_on_commit_callbacks)
    patient = export.conversation.patient
    response = as_user(personas.gp).post(
        f"/api/exports/{export.pk}/send",
        {"recipients": [NURSE_ADDRESS], "to_patient_record": True},
        format="json",
    )
    assert response.status_code == 202, response.content
    colleague_id, record_id = (m["id"] for m in response.json()["messages"])
    outbound, mail = _mail(record_id)
    assert [r.address for r in outbound.recipients.all()] == [patient.mssante_address]
    assert outbound.health_document and outbound.patient_id == patient.pk
    assert mail["Subject"].startswith("XDM/1.0/DDM+") and "LEFEBVRE Marie" in mail["Subject"]
    files = attachments(mail)
    assert files["IHE_XDM.ZIP"][0] == "application/zip"
    assert "IHE_XDM/SUBSET01/DOC0001.XML" in zip_members(files["IHE_XDM.ZIP"][1])
    colleague, colleague_mail = _mail(colleague_id)
    assert [r.address for r in colleague.recipients.all()] == [NURSE_ADDRESS]
    assert "IHE_XDM.ZIP" in attachments(colleague_mail)  # about a qualified patient
    sent = AuditEvent.objects.filter(verb="export.sent", patient_id=patient.pk)
    assert sorted(e.data["patient_record"] for e in sent) == [False, True]


def test_an_address_outside_the_trust_space_is_refused_and_nothing_is_queued(
    personas, as_user, django_capture_on_commit_callbacks
):
    export = done_export(personas, as_user, django_capture_on_commit_callbacks)
    response = as_user(personas.gp).post(
        f"/api/exports/{export.pk}/send",
        {"recipients": ["docteur.martin@gmail.com"], "to_patient_record": True},
        format="json",
    )
    error = assert_error(response, 400)
    assert error["code"] in {"outside_trust_space", "recipient_refused"}, error
    assert OutboundMessage.objects.count() == 0
    assert not AuditEvent.objects.filter(verb__in=["export.sent", "mssante.queued"]).exists()


def test_the_patient_record_needs_a_qualified_patient(
    personas, as_user, django_capture_on_commit_callbacks
):
    Patient.objects.filter(birth_name="GARNIER").update(identity_status="VALI")
    conversation = conversation_about(personas, patient_name="GARNIER")
    export = done_export(personas, as_user, django_capture_on_commit_callbacks, conversation)
    client = as_user(personas.gp)
    url = f"/api/exports/{export.pk}/send"
    refused = client.post(url, {"to_patient_record": True}, format="json")
    assert_error(refused, 400, "patient_not_qualified")
    assert_error(client.post(url, {"recipients": []}, format="json"), 400, "recipients_required")
    assert OutboundMessage.objects.count() == 0
    # Colleagues still get it, as a plain PDF: no health document without a qualified INS.
    response = client.post(url, {"recipients": [NURSE_ADDRESS]}, format="json")
    assert response.status_code == 202, response.content
    _, mail = _mail(response.json()["messages"][0]["id"])
    assert list(attachments(mail)) == [f"{export.document_id}.pdf"]


def test_a_sender_mailbox_the_user_cannot_use_is_refused(
    personas, as_user, django_capture_on_commit_callbacks
):
    export = done_export(personas, as_user, django_capture_on_commit_callbacks)
    response = as_user(personas.gp).post(
        f"/api/exports/{export.pk}/send",
        {"recipients": [NURSE_ADDRESS], "from": "paul.bernard@demo.mssante.fr"},
        format="json",
    )
    assert_error(response, 404, "not_found")
    assert OutboundMessage.objects.count() == 0


def test_the_task_is_idempotent_and_a_failure_is_a_code_without_health_content(
    personas, as_user, django_capture_on_commit_callbacks, monkeypatch
):
    export = done_export(personas, as_user, django_capture_on_commit_callbacks)
    stored = (export.file.name, export.sha256)
    assert render_export(str(export.pk)) == "skipped"
    export.refresh_from_db()
    assert (export.file.name, export.sha256) == stored

    def broken(*args, **kwargs):
        raise RuntimeError(f"cannot render {ACCENTS}")

    monkeypatch.setattr(rendering, "render", broken)
    conversation = export.conversation
    response = synthesis(as_user(personas.gp), conversation, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    detail = as_user(personas.gp).get(f"/api/exports/{response.json()['export']['id']}").json()
    assert (detail["status"], detail["error"], detail["download"]) == (
        "failed",
        "render_failed",
        None,
    )
    failed = Export.objects.get(pk=detail["id"])
    assert_error(
        as_user(personas.gp).get(f"/api/exports/{failed.pk}/download"), 409, "export_not_ready"
    )
    assert_error(
        as_user(personas.gp).post(
            f"/api/exports/{failed.pk}/send", {"recipients": [NURSE_ADDRESS]}, format="json"
        ),
        409,
        "export_not_ready",
    )


def test_a_thousand_message_conversation_costs_a_fixed_number_of_queries(
    personas, django_assert_max_num_queries
):
    conversation = conversation_about(personas)
    Message.objects.bulk_create(
        Message(
            conversation=conversation,
            seq=n,
            sender=personas.gp if n % 2 else personas.cardiologist,
            client_id=f"bulk-{n:08d}",
            body=f"Message {n} : tension à {120 + n % 20}/80, pas d'œdème.",
        )
        for n in range(1, 1001)
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_seq=1000)
    export = exports.request_synthesis(personas.gp, conversation.pk)
    # Claim, data (messages, attachments, reads, people, participants), ~10 progress saves, store.
    with django_assert_max_num_queries(40):
        assert render_export(str(export.pk)) == "done"
    export.refresh_from_db()
    assert (export.status, export.progress) == ("done", 100)
    with export.file.open("rb") as handle:
        assert len(PdfReader(handle).pages) > 30
