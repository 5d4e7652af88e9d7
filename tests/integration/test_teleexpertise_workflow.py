"""A teleexpertise request from submission to filing: conversation, report PDF, MSSanté mails
with the IHE XDM package, the two acts, audit and real-time frames."""

from __future__ import annotations

import datetime
from email import policy
from email.parser import BytesParser

import pytest
from django.test import override_settings
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.mssante.models import OutboundMessage
from conversations import events
from conversations.models import Message
from teleexpertise import actions
from teleexpertise.models import Act, TeleexpertiseRequest
from teleexpertise.tasks import flag_overdue_requests
from tests.conftest import assert_error
from tests.integration.test_teleexpertise_factories import (
    EXAMPLE_INS,
    REPORT,
    answered_request,
    ensure_tariffs,
    lefebvre,
    new_request,
    upload,
)
from tests.support.mssante import attachments, eager_tasks, zip_members

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tariffs(db):
    ensure_tariffs()


@pytest.fixture
def frames(monkeypatch):
    sent: list[tuple[list[str], dict]] = []
    original = events.send_event_on_commit

    def spy(user_ids, frame, *, origin=None):
        if frame["type"] == "teleexpertise.updated":
            sent.append((sorted(str(u) for u in user_ids), frame))
        original(user_ids, frame, origin=origin)

    monkeypatch.setattr(events, "send_event_on_commit", spy)
    return sent


def _create_body(personas, **overrides):
    body = {
        "expert": str(personas.cardiologist.pk),
        "patient": str(lefebvre().pk),
        "question": "Souffle systolique 2/6 chez une patiente de 41 ans : avis ?",
        "urgency": "normal",
        "consent": {
            "method": "oral",
            "collected_at": (timezone.now() - datetime.timedelta(hours=2)).isoformat(),
            "patient_informed": True,
        },
    }
    body.update(overrides)
    return body


def test_whole_path_from_submission_to_filing(
    personas, as_user, tmp_path, frames, django_capture_on_commit_callbacks
):
    gp, expert = as_user(personas.gp), as_user(personas.cardiologist)
    prerequisite = upload(gp, "ecg.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        created = gp.post(
            "/api/teleexpertise/requests",
            _create_body(personas, attachments=[prerequisite]),
            format="json",
        )
    assert created.status_code == 201, created.content
    request = created.json()["request"]
    assert request["status"] == "submitted"
    assert request["reference"].startswith("TE-")
    assert request["consent"]["method"] == "oral"
    assert request["consent"]["collected_by"]["id"] == str(personas.gp.pk)
    assert request["quota"]["TE2"]["used"] == 0 and request["quota"]["TE2"]["limit"] == 4
    rid = request["id"]

    stored = TeleexpertiseRequest.objects.get(pk=rid)
    assert stored.conversation.title == "Téléexpertise — Cardiologie"
    first = Message.objects.filter(conversation=stored.conversation, kind="user").get()
    assert first.body.startswith("Souffle systolique")
    assert first.attachments.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        accepted = expert.post(f"/api/teleexpertise/requests/{rid}/accept")
    assert accepted.json()["request"]["status"] == "accepted"
    with django_capture_on_commit_callbacks(execute=True):
        answered = expert.post(f"/api/teleexpertise/requests/{rid}/report", REPORT, format="json")
    assert answered.json()["request"]["report"]["conclusion"] == REPORT["conclusion"]
    assert answered.json()["request"]["status"] == "answered"

    preview = gp.get(f"/api/teleexpertise/requests/{rid}/report.pdf")
    assert preview.status_code == 200 and preview.content.startswith(b"%PDF")

    outbox = tmp_path / "outbox"
    with (
        override_settings(MSSANTE_TRANSPORT="outbox", MSSANTE_OUTBOX_DIR=outbox),
        eager_tasks(),
        django_capture_on_commit_callbacks(execute=True),
    ):
        filed = expert.post(f"/api/teleexpertise/requests/{rid}/file", {}, format="json")
    assert filed.status_code == 200, filed.content
    body = filed.json()["request"]
    assert body["status"] == "filed"
    assert sorted((a["code"], a["amount"]) for a in body["acts"]) == sorted(
        [("RQD", "10.00"), ("TE2", "23.00" if timezone.localdate().year >= 2026 else "20.00")]
    )

    acts = {a.code: a for a in Act.objects.filter(request_id=rid)}
    assert acts["TE2"].professional == personas.cardiologist.professional
    assert acts["TE2"].am_number == "721000029"
    assert acts["RQD"].professional == personas.gp.professional
    assert acts["RQD"].prescriber_am_number == "721000029"
    assert acts["TE2"].patient_key == EXAMPLE_INS

    pdf = gp.get(f"/api/teleexpertise/requests/{rid}/report.pdf").content
    assert pdf.startswith(b"%PDF")
    assert TeleexpertiseRequest.objects.get(pk=rid).report.pdf_sha256

    mails = list(OutboundMessage.objects.filter(related_id=rid).order_by("created_at"))
    recipients = sorted([r.address for r in m.recipients.all()] for m in mails)
    # LEFEBVRE's referring doctor is the requester: one professional mail (with the CH du
    # Mans DPI's application mailbox), one patient mail.
    assert recipients == [
        [f"{EXAMPLE_INS}@patient.mssante.fr"],
        ["claire.martin@demo.mssante.fr", "dpi.ch-mans@demo.mssante.fr"],
    ]
    assert all(m.sender_address == "paul.bernard@demo.mssante.fr" for m in mails)
    assert all(m.health_document and str(m.patient_id) == str(lefebvre().pk) for m in mails)
    assert {m.status for m in mails} == {"sent"}
    eml_files = sorted(outbox.iterdir())
    assert len(eml_files) == 3  # one file per delivered recipient
    for path in eml_files:
        mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        parts = attachments(mail)
        assert "IHE_XDM.ZIP" in parts
        assert "IHE_XDM/SUBSET01/DOC0001.XML" in zip_members(parts["IHE_XDM.ZIP"][1])
        assert mail["Subject"].startswith("XDM/1.0/DDM+")
        assert pdf in [data for _, data in parts.values()]

    # Every transition: an audit event without clinical text, a frame to both parties.
    verbs = list(
        AuditEvent.objects.filter(object_id=rid).order_by("at", "id").values_list("verb", flat=True)
    )
    for verb in ["requested", "accepted", "answered", "filed"]:
        assert f"teleexpertise.{verb}" in verbs
    for event in AuditEvent.objects.filter(object_id=rid):
        assert str(event.patient_id) == str(lefebvre().pk)
        assert "Souffle" not in str(event.data) and "fonctionnel" not in str(event.data)
    parties = sorted([str(personas.gp.pk), str(personas.cardiologist.pk)])
    statuses = [f["request"]["status"] for users, f in frames if users == parties]
    assert statuses == ["submitted", "accepted", "answered", "filed"]
    assert all("question" not in f["request"] and "report" not in f["request"] for _, f in frames)
    system = Message.objects.filter(conversation_id=body["conversation"], kind="system")
    assert any("acceptée par Dr Paul Bernard" in m.body for m in system)

    with django_capture_on_commit_callbacks(execute=True):
        again = expert.post(f"/api/teleexpertise/requests/{rid}/file", {}, format="json")
    assert_error(again, 409, "already_filed")
    assert OutboundMessage.objects.filter(related_id=rid).count() == 2
    assert Act.objects.filter(request_id=rid).count() == 2

    closed = gp.post(f"/api/teleexpertise/requests/{rid}/close")
    assert closed.json()["request"]["status"] == "closed"


def test_written_consent_carries_its_scan_into_the_conversation(personas, as_user):
    gp = as_user(personas.gp)
    scan = upload(gp, "consentement-signe.pdf")
    consent = {
        "method": "written",
        "collected_at": (timezone.now() - datetime.timedelta(days=1)).isoformat(),
        "document": scan,
        "patient_informed": True,
    }
    response = gp.post(
        "/api/teleexpertise/requests", _create_body(personas, consent=consent), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["request"]["consent"]["document"] == scan


def test_expert_declines_with_a_reason(personas, as_user):
    request = new_request(personas.gp, personas.cardiologist, lefebvre())
    expert = as_user(personas.cardiologist)
    assert_error(expert.post(f"/api/teleexpertise/requests/{request.pk}/decline", {}), 400)
    response = expert.post(
        f"/api/teleexpertise/requests/{request.pk}/decline",
        {"reason": "Relève de la dermatologie."},
        format="json",
    )
    assert response.json()["request"]["status"] == "declined"
    assert response.json()["request"]["decline_reason"] == "Relève de la dermatologie."
    assert_error(
        expert.post(f"/api/teleexpertise/requests/{request.pk}/accept"), 409, "invalid_state"
    )


def test_only_the_expert_accepts_reports_and_files(personas, as_user):
    request = new_request(personas.gp, personas.cardiologist, lefebvre())
    gp = as_user(personas.gp)
    for path in ["accept", "file"]:
        assert_error(gp.post(f"/api/teleexpertise/requests/{request.pk}/{path}"), 403, "forbidden")
    assert_error(
        gp.post(f"/api/teleexpertise/requests/{request.pk}/report", REPORT, format="json"), 403
    )
    request.refresh_from_db()
    assert request.status == "submitted"


def test_a_non_expert_cannot_be_asked(personas, as_user):
    body = _create_body(personas, expert=str(personas.nurse.pk))
    assert_error(
        as_user(personas.gp).post("/api/teleexpertise/requests", body, format="json"),
        400,
        "expert_invalid",
    )
    assert not TeleexpertiseRequest.objects.exists()


def test_a_provisional_identity_gets_the_report_without_patient_mail(
    personas, django_capture_on_commit_callbacks
):
    from tests.integration.test_teleexpertise_factories import make_patient

    patient = make_patient(lefebvre().organization, qualified=False)
    request = answered_request(personas.gp, personas.cardiologist, patient)
    with django_capture_on_commit_callbacks(execute=False):
        actions.file_request(personas.cardiologist, request.pk)
    mails = list(OutboundMessage.objects.filter(related_id=str(request.pk)))
    assert len(mails) == 1
    assert [r.address for r in mails[0].recipients.all()] == [
        "claire.martin@demo.mssante.fr",
        "dpi.ch-mans@demo.mssante.fr",
    ]
    assert not mails[0].health_document
    # No INS: the person is named by the digest of the five traits (patients/vigilance.py).
    assert Act.objects.get(request=request, code="TE2").patient_key == (
        f"traits:{patient.traits_key}"
    )


def test_requests_without_answer_after_seven_days_are_flagged_once(
    personas, frames, django_capture_on_commit_callbacks
):
    request = new_request(personas.gp, personas.cardiologist, lefebvre())
    TeleexpertiseRequest.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    frames.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert flag_overdue_requests() == 1
        assert flag_overdue_requests() == 0
    assert len(frames) == 1 and frames[0][1]["request"]["overdue"] is True
    assert len(frames[0][0]) == 2
    assert (
        AuditEvent.objects.filter(verb="teleexpertise.overdue", object_id=str(request.pk)).count()
        == 1
    )


def test_expert_directory_shows_profiles_and_the_yearly_usage(personas, as_user):
    expert = as_user(personas.cardiologist)
    published = expert.put(
        "/api/teleexpertise/experts/me",
        {
            "specialty": "Cardiologie",
            "description": "Avis rythmologiques",
            "prerequisites": "ECG récent",
        },
        format="json",
    )
    assert published.status_code == 200, published.content
    assert_error(
        as_user(personas.nurse).put(
            "/api/teleexpertise/experts/me", {"specialty": "X"}, format="json"
        ),
        403,
        "not_an_expert",
    )
    gp = as_user(personas.gp)
    listing = gp.get("/api/teleexpertise/experts", {"patient": str(lefebvre().pk)}).json()
    by_name = {e["display_name"]: e for e in listing["experts"]}
    assert set(by_name) == {"Dr Paul Bernard", "Dr Sophie Petit"}
    assert by_name["Dr Paul Bernard"]["prerequisites"] == "ECG récent"
    assert by_name["Dr Paul Bernard"]["quota"]["TE2"] == {
        "used": 0,
        "limit": 4,
        "year": timezone.localdate().year,
    }
    assert listing["quota"]["RQD"]["used"] == 0
    only = gp.get("/api/teleexpertise/experts", {"specialty": "Dermatologie"}).json()["experts"]
    assert [e["display_name"] for e in only] == ["Dr Sophie Petit"]
