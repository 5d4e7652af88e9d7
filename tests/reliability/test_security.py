"""Security checks: CSRF, production cookies and headers, login lock-out, uploads (disguised
executables, path traversal), and IDOR on every object id, for each persona."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from conversations import actions, uploads
from conversations.models import Attachment, Message
from tests.conftest import assert_error, client_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
OUTSIDERS = [
    "dermatologist",
    "nurse",
    "coordinator",
    "secretary",
    "billing",
    "billing_mailbox_member",
    "admin",
]


# --- CSRF ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("/api/conversations", {"participants": ["cardiologist"]}),
        ("/api/mssante/check-address", {"address": "x@demo.mssante.fr"}),
        ("/api/patients/ins-check", {"ins": "285037728417346"}),
        ("/api/auth/logout", {}),
    ],
)
def test_unsafe_methods_with_a_session_need_the_csrf_token(personas, path, payload):
    browser = APIClient(enforce_csrf_checks=True)
    assert browser.login(username="dr.martin", password="demo1234")
    if "participants" in payload:
        payload = {"participants": [str(personas.cardiologist.pk)]}
    before = Message.objects.count()
    assert_error(browser.post(path, payload, format="json"), 403)
    assert Message.objects.count() == before
    token = browser.get("/api/auth/csrf").json()["csrf_token"]
    ok = browser.post(path, payload, format="json", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code < 400, ok.content


# --- Production mode -------------------------------------------------------------------------
def test_production_settings_make_cookies_secure_and_turn_on_hsts():
    env = {
        **os.environ,
        "PLATFORM_ENV": "production",
        "DJANGO_SECRET_KEY": "k" * 64,
        "DJANGO_ALLOWED_HOSTS": "liaison.example.fr",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "WEB_PUSH_VAPID_PRIVATE_KEY": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
        "WEB_PUSH_VAPID_SUBJECT": "mailto:exploitation@liaison.example.fr",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT, s.DEBUG)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["True", "True", "True", "Lax", "True", "True", "False"]


@override_settings(
    SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True, SECURE_HSTS_SECONDS=31536000
)
def test_in_production_mode_the_session_cookie_is_secure_and_http_only(personas, client):
    response = client.post(
        "/api/auth/login",
        {"username": "dr.martin", "password": "demo1234"},
        content_type="application/json",
        secure=True,
    )
    assert response.status_code == 200, response.content
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] is True and cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def static_asset() -> str:
    assets = sorted((ROOT / "frontend" / "dist" / "assets").glob("*.js"))
    if not assets:
        pytest.skip("the web client is not built (make frontend)")
    return f"/static/assets/{assets[0].name}"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/api/me",
        "static",
    ],
)
def test_security_headers_are_on_pages_api_and_static_files(personas, path):
    path = static_asset() if path == "static" else path
    response = client_for(personas.gp).get(path)
    assert response.status_code == 200, path
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@override_settings(LOGIN_MAX_FAILURES=3)
def test_repeated_failures_slow_down_the_attacking_address_not_the_doctor_elsewhere(personas):
    attacker = APIClient(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        attempt = attacker.post(
            "/api/auth/login", {"username": "dr.martin", "password": "x"}, format="json"
        )
        assert_error(attempt, 401)
    locked = attacker.post(
        "/api/auth/login", {"username": "dr.martin", "password": "demo1234"}, format="json"
    )
    assert_error(locked, 429, "locked_out")
    assert int(locked["Retry-After"]) > 0
    elsewhere = APIClient(REMOTE_ADDR="10.1.2.3").post(
        "/api/auth/login", {"username": "dr.martin", "password": "demo1234"}, format="json"
    )
    assert elsewhere.status_code == 200


# --- Uploads ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("compte-rendu.pdf", b"MZ\x90\x00" + b"\x00" * 200),
        ("radio.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
        ("notes.txt", b"#!/bin/sh\nrm -rf /\n"),
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 200),
        ("script.pdf.sh", b"echo hi\n"),
        ("macro.docx", b"MZ\x90\x00" + b"\x00" * 200),
    ],
)
def test_a_disguised_executable_is_refused_and_not_stored(
    personas, settings, tmp_path, name, content
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = client_for(personas.gp).post(
        "/api/attachments", {"file": upload}, format="multipart"
    )
    assert_error(response, 400, "type_not_allowed")
    assert not Attachment.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/passwd.txt",
        "..\\..\\windows\\win.ini.txt",
        "/etc/cron.d/x.txt",
        "....//....//x.txt",
    ],
)
def test_path_traversal_in_a_file_name_is_harmless(personas, settings, tmp_path, name):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile(name, b"bonjour\n", content_type="text/plain")
    response = client_for(personas.gp).post(
        "/api/attachments", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert "/" not in attachment.name and "\\" not in attachment.name
    assert not attachment.name.startswith(".")
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to((tmp_path / "media").resolve())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [stored]


# --- IDOR ------------------------------------------------------------------------------------
@pytest.fixture
def objects(personas, settings, tmp_path):
    """The GP's objects, shared with the cardiologist only."""
    settings.MEDIA_ROOT = tmp_path
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    upload = SimpleUploadedFile("ecg.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    attachment = uploads.upload_attachment(personas.gp, upload)
    message = actions.send_message(
        personas.gp,
        conversation.pk,
        client_id="idor-000001",
        body="ECG joint",
        attachment_ids=[attachment.pk],
    ).message
    return {"conversation": conversation.pk, "message": message.pk, "attachment": attachment.pk}


def conversation_attempts(ids):
    c, m, a = ids["conversation"], ids["message"], ids["attachment"]
    return [
        ("get", f"/api/conversations/{c}", None),
        ("get", f"/api/conversations/{c}/messages", None),
        ("post", f"/api/conversations/{c}/messages", {"client_id": "idor-attack1", "body": "x"}),
        ("post", f"/api/conversations/{c}/read", {"seq": 1}),
        (
            "post",
            f"/api/conversations/{c}/participants",
            {"user": "00000000-0000-0000-0000-000000000000"},
        ),
        ("get", f"/api/conversations/{c}/calls", None),
        ("post", f"/api/conversations/{c}/synthesis", {}),
        ("patch", f"/api/conversations/{c}/messages/{m}", {"body": "modifié"}),
        ("delete", f"/api/conversations/{c}/messages/{m}", None),
        ("get", f"/api/attachments/{a}/download", None),
    ]


@pytest.mark.parametrize("who", [*OUTSIDERS, None], ids=lambda w: w or "anonymous")
def test_conversation_message_and_attachment_ids_of_others_are_refused(personas, objects, who):
    user = getattr(personas, who) if who else None
    client = client_for(user)
    state = list(Message.objects.values_list("pk", "body", "deleted_at", "edited_at"))
    for method, path, payload in conversation_attempts(objects):
        response = getattr(client, method)(path, payload, format="json")
        expected = (401,) if user is None else (403, 404)
        assert response.status_code in expected, (who, method, path, response.status_code)
        assert_error(response, response.status_code)
    assert list(Message.objects.values_list("pk", "body", "deleted_at", "edited_at")) == state


def test_a_message_id_under_another_conversation_is_refused(personas, objects):
    own, _ = actions.create_conversation(personas.nurse, users=[personas.coordinator])
    client = client_for(personas.nurse)
    path = f"/api/conversations/{own.pk}/messages/{objects['message']}"
    assert_error(client.patch(path, {"body": "x"}, format="json"), 404)
    assert_error(client.delete(path), 404)
    assert Message.objects.get(pk=objects["message"]).body == "ECG joint"


def test_mssante_message_ids_of_others_are_refused(personas, settings, tmp_path):
    from backend.accounts.models import Mailbox
    from backend.mssante.actions import queue_message
    from backend.mssante.models import OutboundMessage

    settings.MSSANTE_OUTBOX_DIR = tmp_path
    mailbox = Mailbox.objects.get(kind="PER", professional__user=personas.gp)
    colleague = Mailbox.objects.get(kind="PER", professional__user=personas.cardiologist)
    message = queue_message(
        actor=personas.gp,
        sender_mailbox=mailbox,
        recipients=[colleague.address],
        subject="Compte rendu",
        text="Bonjour",
    )
    for who in [*OUTSIDERS, "cardiologist"]:
        response = client_for(getattr(personas, who)).get(f"/api/mssante/messages/{message.pk}")
        assert response.status_code in (403, 404), who
        assert_error(response, response.status_code)
    assert_error(client_for(None).get(f"/api/mssante/messages/{message.pk}"), 401)
    assert client_for(personas.gp).get(f"/api/mssante/messages/{message.pk}").status_code == 200
    assert OutboundMessage.objects.count() == 1


@pytest.fixture
def filed_request(personas, settings, tmp_path):
    """A request from the GP to the cardiologist, filed: its two acts exist."""
    from teleexpertise import actions as te
    from tests.integration.test_teleexpertise_factories import (
        answered_request,
        ensure_tariffs,
        lefebvre,
    )

    settings.MSSANTE_OUTBOX_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path
    ensure_tariffs()
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    return te.file_request(personas.cardiologist, request.pk)


@pytest.mark.parametrize("who", [*OUTSIDERS, None], ids=lambda w: w or "anonymous")
def test_teleexpertise_request_ids_of_others_are_refused(personas, filed_request, who):
    from teleexpertise.models import Act

    user = getattr(personas, who) if who else None
    client = client_for(user)
    r = filed_request.pk
    state = (filed_request.status, Act.objects.count())
    for method, path, payload in [
        ("get", f"/api/teleexpertise/requests/{r}", None),
        ("post", f"/api/teleexpertise/requests/{r}/accept", {}),
        ("post", f"/api/teleexpertise/requests/{r}/decline", {"reason": "x"}),
        ("post", f"/api/teleexpertise/requests/{r}/report", {"answer": "x", "conclusion": "x"}),
        ("post", f"/api/teleexpertise/requests/{r}/file", {}),
        ("post", f"/api/teleexpertise/requests/{r}/consent/withdraw", {}),
        ("get", f"/api/teleexpertise/requests/{r}/report.pdf", None),
    ]:
        response = getattr(client, method)(path, payload, format="json")
        expected = (401,) if user is None else (403, 404)
        assert response.status_code in expected, (who, method, path, response.status_code)
        assert_error(response, response.status_code)
    filed_request.refresh_from_db()
    assert (filed_request.status, Act.objects.count()) == state


def test_acts_of_other_structures_cannot_be_moved_by_billing_or_clinicians(personas, filed_request):
    from teleexpertise.models import Act

    te2 = Act.objects.get(code="TE2")  # the cardiologist's act: CH du Mans bills it
    rqd = Act.objects.get(code="RQD")  # the GP's act: her practice bills it
    payload = {"status": "transmitted", "note": ""}
    # The CH du Mans clerk does not see the practice's act.
    response = client_for(personas.billing).post(
        f"/api/billing/acts/{rqd.pk}/transition", payload, format="json"
    )
    assert_error(response, 404)
    for who in ("gp", "cardiologist", "nurse", "secretary"):
        response = client_for(getattr(personas, who)).post(
            f"/api/billing/acts/{te2.pk}/transition", payload, format="json"
        )
        assert response.status_code in (403, 404), who
    assert set(Act.objects.values_list("status", flat=True)) == {"declared"}


def test_export_ids_of_others_are_refused(personas, settings, tmp_path):
    from conversations.models import Export
    from conversations.syntheses.actions import request_synthesis

    settings.MEDIA_ROOT = tmp_path
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    actions.send_message(personas.gp, conversation.pk, client_id="export-0001", body="Bilan")
    export = request_synthesis(personas.gp, conversation.pk)
    for who in [*OUTSIDERS, None]:
        client = client_for(getattr(personas, who) if who else None)
        for method, path, payload in [
            ("get", f"/api/exports/{export.pk}", None),
            ("get", f"/api/exports/{export.pk}/download", None),
            ("post", f"/api/exports/{export.pk}/send", {"recipients": ["x@demo.mssante.fr"]}),
        ]:
            response = getattr(client, method)(path, payload, format="json")
            expected = (401,) if who is None else (403, 404)
            assert response.status_code in expected, (who, path, response.status_code)
            assert_error(response, response.status_code)
    assert Export.objects.count() == 1
