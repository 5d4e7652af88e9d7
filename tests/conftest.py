"""Shared fixtures: the named personas every authorisation test uses."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from backend import demo
from backend.accounts.models import User
from tests.operator.fixture import mss_operators  # noqa: F401 - a shared fixture
from tests.support.psc import psc_provider  # noqa: F401 - the local Pro Santé Connect fixture
from tests.support.psc_flow import psc  # noqa: F401 - the platform configured against it

USING_POSTGRES = "postgresql" in settings.DATABASES["default"]["ENGINE"]
USING_REDIS = bool(os.environ.get("REDIS_URL"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="needs Redis (REDIS_URL)")
    for item in items:
        if "postgres" in item.keywords and not USING_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not USING_REDIS:
            item.add_marker(skip_redis)


@pytest.fixture(scope="session", autouse=True)
def _close_worker_thread_connections(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Consumers reach the database from worker threads whose connections outlive the tests;
    end them so the test database can be dropped."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session", autouse=True)
def _sqlite_flush_lifts_the_audit_delete_trigger(django_db_setup: Any) -> Any:
    """On SQLite a trigger refuses deleting audit events, always (audit migrations 0003-0004);
    a test database flush is the one purge allowed: the trigger is dropped for the flush and
    put back after it. The hook lives here, in the tests, not in the schema."""
    from django.db import connection

    if connection.vendor != "sqlite":
        yield
        return
    from importlib import import_module

    trigger = import_module("backend.audit.migrations.0004_sqlite_no_purge_window")
    operations = type(connection.ops)
    original = operations.execute_sql_flush

    def execute_sql_flush(self: Any, sql_list: Any) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        try:
            original(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute(trigger.DELETE_TRIGGER)

    operations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    operations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_server_outlives_its_test() -> Any:
    yield
    from conversations import async_send
    from tests.servers import stop_all

    stop_all()
    # Sockets of in-process consumers send from their test's event loop on pooled connections.
    async_send.close_all()


@pytest.fixture(autouse=True)
def _maildirs_in_tmp(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Embedded-mode mail (transport to local mailboxes, inbox seeding) stays out of var/.
    settings.MSSANTE_MAILDIR_DIR = tmp_path_factory.mktemp("maildir")


@pytest.fixture(autouse=True)
def _public_origin_of_the_test_client(settings: Any) -> None:
    # Channels' WebsocketCommunicator sends no Host header: in-process sockets are checked
    # against the test client's origin, as production checks against its configured one.
    # (Servers started as processes keep the same-origin default.)
    settings.PUBLIC_ORIGINS = ["http://testserver"]


@pytest.fixture(autouse=True)
def _no_rate_limits_unless_a_test_sets_them(settings: Any) -> None:
    # The counters live in the shared cache and every test client comes from 127.0.0.1: the
    # limits are tested by tests/integration/test_rate_limits.py, which sets its own.
    settings.RATE_LIMITS = {}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's deliberate slowness would dominate the suite; hashing itself is Django's code.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Personas:
    """The demo people, by their part in the stories the tests tell."""

    gp: User  # dr.martin, requesting GP (Cabinet médical de la Gare)
    cardiologist: User  # dr.bernard, expert at CH du Mans
    dermatologist: User  # dr.petit, expert at CH du Mans
    nurse: User  # ide.durand, SSIAD: an unrelated clinician for most stories
    coordinator: User  # coord.leroy, DAC
    secretary: User  # sec.cardio, member of the cardiology ORG mailbox
    billing: User  # fact.moreau, billing clerk at CH du Mans
    # fact.girard: billing clerk AND member of the cardiology ORG mailbox (no clinical access)
    billing_mailbox_member: User
    admin: User  # admin at CH du Mans

    def all(self) -> dict[str, User]:
        return dict(vars(self))


@pytest.fixture
def personas(db: Any) -> Personas:
    demo.seed()
    users = {u.username: u for u in User.objects.all()}
    return Personas(
        gp=users["dr.martin"],
        cardiologist=users["dr.bernard"],
        dermatologist=users["dr.petit"],
        nurse=users["ide.durand"],
        coordinator=users["coord.leroy"],
        secretary=users["sec.cardio"],
        billing=users["fact.moreau"],
        billing_mailbox_member=users["fact.girard"],
        admin=users["admin"],
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def signed_in_browser(username: str, password: str = "demo1234") -> Client:
    """A Django test client signed in through the real sign-in endpoint (a session cookie, as
    a browser has), for what `force_authenticate` skips: sessions, sockets, lock-outs."""
    browser = Client()
    answer = browser.post(
        "/api/auth/login",
        {"username": username, "password": password},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    return browser


@pytest.fixture
def as_user() -> Any:
    return client_for


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The contract's error shape, with the expected status and code."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
