"""The admin site: password and TOTP always, the same lock-out and audit as the API, and TOTP
secrets never displayed."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def admin_login(browser: Client, password: str = "demo1234", otp: str = "", ip: str = "127.0.0.1"):
    return browser.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": password, "otp_token": otp},
        REMOTE_ADDR=ip,
    )


def in_admin(browser: Client) -> bool:
    return browser.get("/admin/").status_code == 200


@pytest.fixture
def device(personas) -> TOTPDevice:
    return TOTPDevice.objects.create(user=personas.admin, name="app", confirmed=True)


def test_a_password_without_totp_is_refused(personas):
    browser = Client()
    answer = admin_login(browser)
    assert answer.status_code == 200  # the form again, with the reason
    assert "double authentification" in answer.content.decode()
    assert not in_admin(browser)
    failure = AuditEvent.objects.get(verb="auth.login_failed", object_id="admin")
    assert failure.data["reason"] == "admin_otp_required"


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_password_and_code_open_the_admin_and_are_audited(personas, device):
    browser = Client()
    assert not in_admin(Client())
    assert admin_login(browser, otp="000000").status_code == 200
    assert not in_admin(browser)
    answer = admin_login(browser, otp=code(device))
    assert answer.status_code == 302 and answer["Location"] == "/admin/"
    assert in_admin(browser)
    login = AuditEvent.objects.get(verb="auth.login", actor=personas.admin)
    assert login.data == {"otp": True, "via": "admin"}
    assert AuditEvent.objects.filter(verb="auth.login_failed", object_id="admin").count() == 1


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0, LOGIN_MAX_FAILURES=3)
def test_the_admin_locks_out_like_the_api(personas, device):
    browser = Client()
    for _ in range(3):
        admin_login(browser, password="faux", ip="203.0.113.40")
    answer = admin_login(browser, otp=code(device), ip="203.0.113.40")
    assert "Trop d'échecs" in answer.content.decode().replace("&#x27;", "'")
    assert not in_admin(browser)
    assert AuditEvent.objects.filter(verb="auth.login_throttled", object_id="admin").exists()
    # The API sees the same failures: the same address is slowed down there too.
    api = Client().post(
        "/api/auth/login",
        {"username": "admin", "password": "demo1234"},
        content_type="application/json",
        REMOTE_ADDR="203.0.113.40",
    )
    assert api.status_code == 429


def test_an_api_session_without_the_second_factor_does_not_open_the_admin(personas):
    browser = Client()
    assert (
        browser.post(
            "/api/auth/login",
            {"username": "admin", "password": "demo1234"},
            content_type="application/json",
        ).status_code
        == 200
    )
    assert not in_admin(browser)


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_totp_secrets_are_never_displayed(personas, device):
    browser = Client()
    assert admin_login(browser, otp=code(device)).status_code == 302
    listing = browser.get("/admin/otp_totp/totpdevice/")
    page = browser.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert listing.status_code == 200 and page.status_code == 200
    for answer in (listing, page):
        assert device.key not in answer.content.decode()
    assert browser.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code in (403, 404)
