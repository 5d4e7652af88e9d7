"""Authorisation matrix of the Web Push endpoints (issue 18, item 10), tried by every persona
(STYLE.md #9). A denial leaves the subscriptions and the audit trail as they were."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from backend.audit.models import AuditEvent
from conversations.push.models import PushSubscription
from tests.integration.test_issue17_matrix import DENIED, PERSONAS

pytestmark = pytest.mark.django_db
CLERKS = {"billing": 403, "billing_mailbox_member": 403, "admin": 403}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_subscription() -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "endpoint": f"https://fcm.googleapis.com/fcm/send/{b64u(os.urandom(12))}",
        "keys": {"p256dh": b64u(point), "auth": b64u(os.urandom(16))},
    }


@pytest.fixture
def someone_elses(personas) -> PushSubscription:
    browser = Client()
    browser.force_login(personas.cardiologist)
    answer = browser.post(
        "/api/push/subscriptions", browser_subscription(), content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    return PushSubscription.objects.get(pk=answer.json()["id"])


# (name, method, path, {persona: expected status}, default for the others); the POST sends a
# new browser subscription each time.
ENDPOINTS = [
    ("push config", "get", "/api/push/config", CLERKS, 200),
    ("my subscriptions", "get", "/api/push/subscriptions", CLERKS, 200),
    ("subscribe", "post", "/api/push/subscriptions", CLERKS, 201),
    ("someone else's", "delete", "/api/push/subscriptions/{other}", CLERKS, 404),
]


def _snapshot() -> list[tuple[Any, ...]]:
    return sorted(PushSubscription.objects.values_list("id", "user_id", "endpoint"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_push_endpoint_for_every_persona(personas, someone_elses, persona):
    user = getattr(personas, persona) if persona else None
    browser = Client()
    if user is not None:
        browser.force_login(user)
    for name, method, path, expected, default in ENDPOINTS:
        url = path.format(other=someone_elses.pk)
        before, audit_before = _snapshot(), AuditEvent.objects.filter(verb__startswith="push.")
        audit_count = audit_before.count()
        if method == "post":
            response = browser.post(url, browser_subscription(), content_type="application/json")
        else:
            response = getattr(browser, method)(url)
        if user is None:
            assert response.status_code in DENIED, (name, response.status_code)
            assert _snapshot() == before
            continue
        want = expected.get(persona, default)
        if persona == "cardiologist" and method == "delete":
            want = 204  # their own
        assert response.status_code == want, (name, persona, response.content[:300])
        if want >= 400:
            error = response.json()
            assert set(error) == {"error"} and error["error"]["message"], name
            assert _snapshot() == before, name
            assert AuditEvent.objects.filter(verb__startswith="push.").count() == audit_count
        elif method == "get" and name == "my subscriptions":
            # Only one's own browsers, never another user's endpoints.
            endpoints = {s["endpoint"] for s in response.json()["results"]}
            mine = set(
                PushSubscription.objects.filter(user=user).values_list("endpoint", flat=True)
            )
            assert endpoints == mine, persona
