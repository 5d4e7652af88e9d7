"""API fuzzing: schemathesis generates requests from /api/schema/ for every operation, sent as
each persona (and anonymously) to the app in-process. Whatever the input: never a 5xx, and
every 4xx answers in the contract's error shape {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Personas

# schemathesis draws st.randoms() deep inside a generation, and hypothesis imports its random
# module lazily there; on CPython 3.11.7 that import (which compiles source) at a deep stack can
# raise "SystemError: AST constructor recursion depth mismatch" (a CPython bug fixed in later
# 3.11 releases), which hypothesis then reports as a flaky failure. Importing it here, at a
# shallow stack, keeps the run about our API.
st.randoms().validate()

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 4
# Signing out would end the session the rest of the run uses.
SKIPPED = {("POST", "/api/auth/logout")}
PERSONAS = [
    "gp",
    "cardiologist",
    "dermatologist",
    "nurse",
    "coordinator",
    "secretary",
    "billing",
    "billing_mailbox_member",
    "admin",
    None,
]


@pytest.fixture(scope="module")
def schema() -> Iterator[Any]:
    # As Django's test client does: a request must not close the test's database connection
    # (it is inside the test transaction).
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


def browser(user: Any) -> tuple[dict[str, str], dict[str, str]]:
    """A browser's session: the session cookie, and the CSRF cookie echoed in X-CSRFToken."""
    csrf = get_random_string(32)
    cookies = {"csrftoken": csrf}
    if user is not None:
        client = Client()
        client.force_login(user)
        cookies["sessionid"] = client.cookies["sessionid"].value
    return {"X-CSRFToken": csrf}, cookies


def check_answer(case: Any, response: Any) -> None:
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    assert response.status_code < 500, f"{where}: {response.text[:500]}"
    if 400 <= response.status_code < 500:
        try:
            body = json.loads(response.content)
        except ValueError:
            raise AssertionError(f"{where}: not JSON: {response.text[:300]}") from None
        assert isinstance(body, dict) and set(body) == {"error"}, f"{where}: {body}"
        error = body["error"]
        assert isinstance(error, dict) and set(error) == {"code", "message", "fields"}, where
        assert isinstance(error["code"], str) and error["code"], f"{where}: {error}"
        assert isinstance(error["message"], str) and error["message"], f"{where}: {error}"
        assert isinstance(error["fields"], dict), f"{where}: {error}"


@pytest.mark.parametrize("who", PERSONAS, ids=lambda w: w or "anonymous")
def test_every_operation_answers_without_5xx_and_in_the_error_shape(schema, personas, who):
    user = getattr(personas, who) if who else None
    headers, cookies = browser(user)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if (result.ok().method.upper(), result.ok().path) not in SKIPPED
    ]
    assert len(operations) >= 40, "the schema lists every endpoint"
    failures: list[str] = []
    statuses: dict[tuple[str, str], set[int]] = {}
    for operation in operations:

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            response = case.call(headers=headers, cookies=cookies)
            statuses.setdefault((case.method.upper(), case.path), set()).add(response.status_code)
            check_answer(case, response)

        try:
            fuzz()
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:600])
    assert not failures, "\n".join(failures)
    # The session was really used: signed in, /api/me answers; anonymous, it is refused.
    assert statuses[("GET", "/api/me")] == ({200} if user else {401})


def test_personas_fixture_lists_every_fuzzed_persona(personas: Personas) -> None:
    assert {p for p in PERSONAS if p} == set(personas.all())
