"""Second-factor changes and the production sign-in rule.

- Enrolling or replacing TOTP needs the current password and, when a device exists, a current
  code from it; a session older than the device cannot replace it.
- With PSC_REQUIRED_FOR_RPPS (on in production), professionals with an RPPS sign in with Pro
  Santé Connect; password + TOTP stay for accounts without an RPPS and break-glass admins.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts import sessions
from backend.audit.models import AuditEvent
from tests.conftest import assert_error
from tests.integration.test_admin_site import code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_otp_throttle")]


@pytest.fixture
def no_otp_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def signed_in(username: str, otp: str | None = None) -> Client:
    browser = Client()
    body = {"username": username, "password": "demo1234"}
    if otp:
        body["otp"] = otp
    answer = browser.post("/api/auth/login", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    return browser


def setup(browser: Client, **body: str):
    return browser.post("/api/auth/totp/setup", body, content_type="application/json")


def test_enrolment_needs_the_current_password(personas):
    browser = signed_in("dr.martin")
    assert_error(setup(browser), 400)
    assert_error(setup(browser, password="faux"), 403, "invalid_password")
    assert not TOTPDevice.objects.filter(user=personas.gp).exists()
    assert AuditEvent.objects.filter(
        verb="auth.login_failed", data__reason="bad_password_totp"
    ).exists()
    answer = setup(browser, password="demo1234")
    assert answer.status_code == 200
    assert answer.json()["otpauth_url"].startswith("otpauth://totp/")


def test_replacing_a_device_needs_a_current_code_from_it(personas):
    device = TOTPDevice.objects.create(user=personas.gp, name="app", confirmed=True)
    browser = signed_in("dr.martin", otp=code(device))
    assert_error(setup(browser, password="demo1234"), 403, "otp_invalid")
    assert_error(setup(browser, password="demo1234", otp="000000"), 403, "otp_invalid")
    # A code is accepted once: the next time step's code, as the user would type it later.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    answer = setup(browser, password="demo1234", otp=code(device))
    assert answer.status_code == 200, answer.content
    # The old device stays until the new one is confirmed.
    assert TOTPDevice.objects.filter(user=personas.gp, confirmed=True).get() == device


def test_a_session_older_than_the_device_cannot_replace_it(personas):
    browser = signed_in("dr.martin")  # e.g. a stolen session, signed in before the enrolment
    session = browser.session
    session[sessions.AUTH_AT] = time.time() - 3600
    session.save()
    device = TOTPDevice.objects.create(user=personas.gp, name="app", confirmed=True)
    assert_error(setup(browser, password="demo1234", otp=code(device)), 403, "session_too_old")
    assert TOTPDevice.objects.filter(user=personas.gp).count() == 1


@override_settings(PSC_REQUIRED_FOR_RPPS=True)
def test_in_production_a_professional_with_an_rpps_must_use_psc(personas):
    answer = Client().post(
        "/api/auth/login",
        {"username": "dr.martin", "password": "demo1234"},
        content_type="application/json",
    )
    error = assert_error(answer, 403, "psc_required")
    assert "Pro Santé Connect" in error["message"]
    assert AuditEvent.objects.filter(
        verb="auth.login_refused", data__reason="psc_required"
    ).exists()
    assert Client().get("/api/auth/methods").json()["psc_required_for_rpps"] is True


@override_settings(PSC_REQUIRED_FOR_RPPS=True)
def test_in_production_staff_without_rpps_and_the_break_glass_admin_keep_their_password(
    personas,
):
    signed_in("fact.moreau")
    signed_in("sec.cardio")
    signed_in("admin")  # superuser: break-glass access
