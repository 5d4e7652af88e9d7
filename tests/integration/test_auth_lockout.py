"""Lock-out that an attacker cannot turn against a doctor: per (account, IP) progressive
delays, a short bounded delay for the account elsewhere, a NAT-friendly per-IP allowance,
every failure audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts import lockout
from backend.audit import log as audit
from backend.audit.models import AuditEvent
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def attempt(ip: str, username: str = "dr.martin", password: str = "demo1234"):
    return APIClient(REMOTE_ADDR=ip).post(
        "/api/auth/login", {"username": username, "password": password}, format="json"
    )


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    moment = timezone.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(lockout.timezone, "now", lambda: moment)


def test_fifty_failures_do_not_stop_the_doctor_from_another_address(personas, monkeypatch):
    for _ in range(50):
        answer = attempt("203.0.113.66", password="mauvais")
        assert answer.status_code in (401, 429)
    # Every failure is audited, and the throttled attempts too (apart).
    failures = AuditEvent.objects.filter(verb=lockout.LOGIN_FAILED, object_id="dr.martin")
    throttled = AuditEvent.objects.filter(verb=lockout.LOGIN_THROTTLED, object_id="dr.martin")
    assert failures.count() + throttled.count() == 50
    assert failures.count() >= 5
    # The attacker's address waits long; Dr Martin elsewhere at most the short account delay.
    attacker_wait = int(attempt("203.0.113.66")["Retry-After"])
    doctor = attempt("192.0.2.10")
    if doctor.status_code == 429:
        wait = int(doctor["Retry-After"])
        assert wait <= 31 < attacker_wait
        later(monkeypatch, wait)
        doctor = attempt("192.0.2.10")
    assert doctor.status_code == 200, doctor.content
    assert doctor.json()["username"] == "dr.martin"


@override_settings(LOGIN_MAX_FAILURES=3)
def test_the_delay_grows_with_each_failure_of_the_pair(personas, monkeypatch):
    waits = []
    for n in range(3):
        for _ in range(3 if n == 0 else 1):
            assert_error(attempt("198.51.100.7", password="non"), 401, "invalid_credentials")
        blocked = attempt("198.51.100.7")
        assert_error(blocked, 429, "locked_out")
        waits.append(int(blocked["Retry-After"]))
        later(monkeypatch, waits[-1])
    assert waits[0] < waits[1] < waits[2]
    # Once the delay is over, the right password gets in from that address too.
    later(monkeypatch, 3600)
    assert attempt("198.51.100.7").status_code == 200


@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_IP_FREE_FAILURES=30)
def test_a_hospital_nat_with_many_mistyping_users_is_not_blocked(personas):
    # 25 people behind one address each mistype once: under the per-IP allowance.
    for n in range(25):
        assert_error(attempt("10.0.0.1", username=f"agent{n}", password="oups"), 401)
    assert attempt("10.0.0.1", username="sec.cardio").status_code == 200
    assert attempt("10.0.0.1", username="dr.martin").status_code == 200


def test_a_throttled_attempt_is_refused_even_with_the_right_password_and_says_when(personas):
    for _ in range(5):
        attempt("203.0.113.5", password="non")
    blocked = attempt("203.0.113.5")
    error = assert_error(blocked, 429, "locked_out")
    assert "réessayez dans" in error["message"]
    assert not AuditEvent.objects.filter(verb="auth.login").exists()
    assert AuditEvent.objects.filter(verb=lockout.LOGIN_THROTTLED, ip="203.0.113.5").exists()


def locked_out_after_failures(client: APIClient, failures: int = 5) -> int:
    """Fails `failures` times as dr.martin from this client; returns the answer's status then."""
    for _ in range(failures):
        client.post("/api/auth/login", {"username": "dr.martin", "password": "non"}, format="json")
    answer = client.post(
        "/api/auth/login", {"username": "dr.martin", "password": "demo1234"}, format="json"
    )
    return int(answer.status_code)


def test_an_ipv6_address_is_slowed_down_and_another_address_still_gets_in(personas):
    assert locked_out_after_failures(APIClient(REMOTE_ADDR="2001:db8:66::1")) == 429
    assert AuditEvent.objects.filter(verb=lockout.LOGIN_THROTTLED, ip="2001:db8:66::1").exists()
    assert attempt("2001:db8:10::10").status_code == 200


def test_changing_address_within_an_ipv6_64_does_not_escape_the_delay(personas):
    # Each failure from a new address of the same /64, as a subscriber's box allows at will.
    for n in range(1, 12):
        attempt(f"2001:db8:66:1::{n:x}", password="non")
    blocked = attempt("2001:db8:66:1:ffff::1")
    assert_error(blocked, 429, "locked_out")
    # The neighbouring /64 (another subscriber) is not slowed down.
    assert attempt("2001:db8:66:2::1").status_code == 200


def test_behind_the_proxy_the_forwarded_client_address_is_the_one_slowed_down(personas, settings):
    settings.TRUST_X_FORWARDED_FOR = True  # nginx overwrites the header with the client address

    def behind_proxy(client_address: str) -> APIClient:
        return APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_address)

    assert locked_out_after_failures(behind_proxy("203.0.113.77")) == 429
    assert AuditEvent.objects.filter(verb=lockout.LOGIN_FAILED, ip="203.0.113.77").count() == 5
    # Another client behind the same proxy is not the attacker.
    answer = behind_proxy("198.51.100.20").post(
        "/api/auth/login", {"username": "dr.martin", "password": "demo1234"}, format="json"
    )
    assert answer.status_code == 200


def test_without_a_trusted_proxy_a_forged_forwarded_header_does_not_escape(personas, settings):
    settings.TRUST_X_FORWARDED_FOR = False
    for n in range(5):  # a new forged address at each attempt
        APIClient(REMOTE_ADDR="203.0.113.88", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").post(
            "/api/auth/login", {"username": "dr.martin", "password": "non"}, format="json"
        )
    forged = APIClient(REMOTE_ADDR="203.0.113.88", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert_error(
        forged.post(
            "/api/auth/login", {"username": "dr.martin", "password": "demo1234"}, format="json"
        ),
        429,
        "locked_out",
    )
    assert not AuditEvent.objects.filter(ip__startswith="192.0.2.").exists()


@override_settings(LOGIN_MAX_FAILURES=3)
def test_without_a_known_address_only_the_account_own_failures_count(personas):
    # Failures recorded with no client address (outside a request) for another account.
    for _ in range(10):
        audit.record(lockout.LOGIN_FAILED, object_type="accounts.user", object_id="dr.bernard")
    assert lockout.wait_seconds("dr.martin", None) == 0
    assert lockout.wait_seconds("dr.bernard", None) > 0
