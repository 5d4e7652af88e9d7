"""The daphne the multi-process and browser tests start runs like production: Django's guard
against synchronous queries on the event loop stays on (the browser tests turn it off in their
own process only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import Daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_the_server_keeps_the_async_guard_that_the_browser_tests_lift(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as tests/e2e/conftest.py does
    with Daphne() as server:
        assert server.process is not None
        environment = environment_of(server.process.pid)
    assert "DJANGO_ALLOW_ASYNC_UNSAFE" not in environment
    assert environment["DJANGO_ALLOWED_HOSTS"] == "127.0.0.1,localhost"
