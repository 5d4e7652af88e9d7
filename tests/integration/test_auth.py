"""Signing in: password, TOTP second factor, lock-out, tokens, sign-out, /api/me."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from backend.accounts import actions
from backend.audit.models import AuditEvent
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
LOGIN = "/api/auth/login"


def login(client: APIClient, username: str, password: str = "demo1234", otp: str | None = None):
    payload = {"username": username, "password": password}
    if otp is not None:
        payload["otp"] = otp
    return client.post(LOGIN, payload, format="json")


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_login_with_password_opens_a_session_and_me_describes_the_user(personas, api):
    response = login(api, "dr.bernard")
    assert response.status_code == 200, response.content
    me = response.json()
    assert me["id"] == str(personas.cardiologist.pk)
    assert me["display_name"] == "Dr Paul Bernard"
    assert me["professional"]["specialty"] == "Cardiologie"
    assert me["professional"]["rpps"] and len(me["professional"]["rpps"]) == 11
    assert [o["name"] for o in me["organizations"]] == ["CH du Mans"]
    assert me["organizations"][0]["roles"] == ["clinician"]
    kinds = {m["kind"] for m in me["mailboxes"]}
    assert kinds == {"PER", "ORG"}  # his own mailbox and the cardiology secretariat
    assert api.get("/api/me").json()["username"] == "dr.bernard"
    assert AuditEvent.objects.filter(verb="auth.login", actor=personas.cardiologist).count() == 1


def test_wrong_password_is_refused_and_audited_without_the_password(personas, api):
    response = login(api, "dr.bernard", "wrong-password")
    assert_error(response, 401, "invalid_credentials")
    event = AuditEvent.objects.get(verb="auth.login_failed")
    assert event.object_id == "dr.bernard"
    assert "wrong-password" not in str(event.data)
    assert_error(api.get("/api/me"), 401, "not_authenticated")


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(personas, api):
    assert_error(login(api, "nobody"), 401, "invalid_credentials")


@override_settings(LOGIN_MAX_FAILURES=3)
def test_repeated_failures_lock_the_account_even_for_the_right_password(personas, api):
    for _ in range(3):
        assert_error(login(api, "dr.martin", "nope"), 401, "invalid_credentials")
    response = login(api, "dr.martin")
    error = assert_error(response, 429, "locked_out")
    assert "réessayez dans" in error["message"]
    assert int(response["Retry-After"]) > 0
    # Another account is not locked by these failures.
    assert login(APIClient(), "dr.bernard").status_code == 200


@override_settings(LOGIN_MAX_FAILURES=2, LOGIN_LOCKOUT_SECONDS=60)
def test_lockout_ends_after_the_window(personas, api, monkeypatch):
    for _ in range(2):
        login(api, "dr.martin", "nope")
    assert login(api, "dr.martin").status_code == 429
    later = timezone.now() + timedelta(seconds=61)
    monkeypatch.setattr(actions.timezone, "now", lambda: later)
    assert login(api, "dr.martin").status_code == 200


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)  # django-otp slows retries after a failure
def test_account_with_totp_needs_the_code(personas, api):
    device = TOTPDevice.objects.create(user=personas.gp, name="app", confirmed=True)
    assert_error(login(api, "dr.martin"), 401, "otp_required")
    assert_error(login(api, "dr.martin", otp="000000"), 401, "otp_invalid")
    assert AuditEvent.objects.filter(verb="auth.login_failed", data__reason="bad_otp").exists()
    response = login(api, "dr.martin", otp=current_code(device))
    assert response.status_code == 200, response.content
    assert response.json()["otp"] == {"enabled": True, "verified": True, "required": False}


@override_settings(OTP_REQUIRED=True, OTP_TOTP_THROTTLE_FACTOR=0)
def test_when_totp_is_required_an_unenrolled_user_must_enrol_before_using_the_api(personas, api):
    assert login(api, "dr.martin").status_code == 200
    assert_error(api.get("/api/patients?q=LEF"), 403, "otp_enrollment_required")
    setup = api.post("/api/auth/totp/setup", {"password": "demo1234"}, format="json")
    assert setup.status_code == 200
    assert setup.json()["otpauth_url"].startswith("otpauth://totp/")
    assert "<svg" in setup.json()["qr_svg"]
    assert_error(api.post("/api/auth/totp/confirm", {"otp": "000000"}, format="json"), 400)
    device = TOTPDevice.objects.get(user=personas.gp)
    confirmed = api.post("/api/auth/totp/confirm", {"otp": current_code(device)}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["otp"]["verified"] is True
    assert api.get("/api/patients?q=LEF").status_code == 200
    # The next sign-in asks for the code.
    assert_error(login(APIClient(), "dr.martin"), 401, "otp_required")


def test_login_enforces_csrf_for_browsers(personas):
    browser = APIClient(enforce_csrf_checks=True)
    assert browser.post(LOGIN, {"username": "dr.martin", "password": "demo1234"}).status_code == 403
    token = browser.get("/api/auth/csrf").json()["csrf_token"]
    ok = browser.post(
        LOGIN,
        {"username": "dr.martin", "password": "demo1234"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert ok.status_code == 200, ok.content


def test_logout_ends_the_session(personas, api):
    login(api, "dr.martin")
    assert api.post("/api/auth/logout").status_code == 204
    assert_error(api.get("/api/me"), 401)
    assert AuditEvent.objects.filter(verb="auth.logout", actor=personas.gp).exists()


def test_bad_login_payload_gets_field_errors(personas, api):
    error = assert_error(api.post(LOGIN, {"username": ""}, format="json"), 400)
    assert set(error["fields"]) == {"username", "password"}
    assert_error(api.post(LOGIN, "{not json", content_type="application/json"), 400, "malformed")


def test_api_token_authenticates_an_application_mailbox(personas):
    from backend.accounts.models import Mailbox

    service_user = Mailbox.objects.get(kind="APP").service_user
    assert service_user is not None
    token, key = actions.create_api_token(service_user, "DPI")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/me").json()["username"] == service_user.username
    assert token.key_hash != key and key not in token.key_hash
    actions.revoke_api_token(token)
    assert_error(client.get("/api/me"), 401, "bad_token")
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert_error(client.get("/api/me"), 401, "bad_token")


def test_service_users_cannot_sign_in_with_a_password(personas, api):
    from backend.accounts.models import Mailbox

    service_user = Mailbox.objects.get(kind="APP").service_user
    assert service_user is not None
    service_user.set_password("some-password-123")
    service_user.save()
    assert_error(login(api, service_user.username, "some-password-123"), 401, "invalid_credentials")
