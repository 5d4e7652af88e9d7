"""REST rate limits per user and per address: 429 in the error shape with Retry-After, other
users and addresses unaffected, rates configurable."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from backend.api.rate_config import parse_rate_limits
from conversations import actions
from conversations.models import Message
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def address() -> str:
    """A fresh client address per test: the counters outlive a test in the shared cache."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def client(user=None, ip: str | None = None) -> APIClient:
    api = APIClient(REMOTE_ADDR=ip or address())
    if user is not None:
        api.force_authenticate(user)
    return api


def post_message(api, conversation, body="Bonjour"):
    return api.post(
        f"/api/conversations/{conversation.pk}/messages",
        {"client_id": str(uuid.uuid4()), "body": body},
        format="json",
    )


def test_messages_are_limited_per_user_with_retry_after(personas, settings):
    settings.RATE_LIMITS = {"messages": "3/min"}
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    gp = client(personas.gp)
    assert [post_message(gp, conversation).status_code for _ in range(3)] == [201] * 3
    refused = post_message(gp, conversation, "de trop")
    assert_error(refused, 429, "throttled")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert not Message.objects.filter(body="de trop").exists()
    # Another user (from the same address) is not affected; reading is not limited.
    assert post_message(client(personas.cardiologist), conversation).status_code == 201
    assert gp.get(f"/api/conversations/{conversation.pk}/messages").status_code == 200


def test_sign_in_is_limited_per_address(personas, settings):
    settings.RATE_LIMITS = {"signin.ip": "2/min"}
    ip = address()
    attempt = {"username": "dr.martin", "password": "faux"}
    for _ in range(2):
        assert client(ip=ip).post("/api/auth/login", attempt, format="json").status_code != 429
    refused = client(ip=ip).post("/api/auth/login", attempt, format="json")
    assert_error(refused, 429, "throttled")
    assert int(refused["Retry-After"]) > 0
    other = client().post("/api/auth/login", attempt, format="json")
    assert other.status_code != 429


def test_sign_in_is_limited_per_ipv6_64_not_per_address(personas, settings):
    settings.RATE_LIMITS = {"signin.ip": "3/min"}
    attempt = {"username": "dr.martin", "password": "faux"}
    for n in range(3):
        answer = client(ip=f"2001:db8:77:1::{n + 1}").post(
            "/api/auth/login", attempt, format="json"
        )
        assert answer.status_code != 429
    refused = client(ip="2001:db8:77:1::99").post("/api/auth/login", attempt, format="json")
    assert_error(refused, 429, "throttled")
    other = client(ip="2001:db8:77:2::1").post("/api/auth/login", attempt, format="json")
    assert other.status_code != 429


def test_searches_are_limited_per_address_across_users(personas, settings):
    settings.RATE_LIMITS = {"search.ip": "2/min", "search": "100/min"}
    ip = address()
    assert client(personas.gp, ip).get("/api/directory?q=bernard").status_code == 200
    assert client(personas.nurse, ip).get("/api/directory?q=bernard").status_code == 200
    assert_error(client(personas.cardiologist, ip).get("/api/directory?q=x"), 429, "throttled")


def test_uploads_and_exports_have_their_own_limits(personas, settings):
    settings.RATE_LIMITS = {"uploads": "1/min", "exports": "1/min"}
    gp = client(personas.gp)
    assert gp.post("/api/attachments", {}, format="multipart").status_code == 400
    assert_error(gp.post("/api/attachments", {}, format="multipart"), 429)
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    url = f"/api/conversations/{conversation.pk}/synthesis"
    assert gp.post(url, {"period": "bad"}, format="json").status_code != 429
    assert_error(gp.post(url, {}, format="json"), 429)


def test_rates_are_configurable_and_checked():
    limits = parse_rate_limits("messages=5/min, exports=, signin.ip=10/hour", {"exports": "1/s"})
    assert limits == {"messages": "5/min", "signin.ip": "10/hour"}
    for bad in ("messages", "messages=lots", "messages=5/fortnight!"):
        with pytest.raises(ImproperlyConfigured):
            parse_rate_limits(bad, {})
