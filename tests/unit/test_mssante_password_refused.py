"""PER/ORG boxes of the test operator (tests/operator) may log in with a password; in production
(PLATFORM_ENV=production) that path is refused before the password leaves: neither the IMAP
fetch nor the SMTP submission sends it. The switch is PLATFORM_ENV, not DEBUG: Django runs the
tests with DEBUG off, and the test operator is used there."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from backend.mssante import transport
from backend.mssante.inbox import fetch
from backend.mssante.inbox.models import MailboxConnection

ADDRESS = "dr.martin@op1.test.mssante.fr"


class FakeImap:
    """Stands for imaplib.IMAP4 past the network: offers STARTTLS, records the logins."""

    logins: list[tuple[str, str]] = []

    def __init__(self, host: str, port: int, timeout: float | None = None) -> None:
        self.capabilities = ("IMAP4REV1", "STARTTLS")

    def starttls(self, ssl_context: Any = None) -> None:
        pass

    def login(self, user: str, password: str) -> None:
        FakeImap.logins.append((user, password))

    def shutdown(self) -> None:
        pass


@pytest.fixture
def imap(monkeypatch: pytest.MonkeyPatch) -> type[FakeImap]:
    FakeImap.logins = []
    monkeypatch.setattr(fetch.imaplib, "IMAP4", FakeImap)
    monkeypatch.setattr(fetch, "_context", lambda connection: None)
    return FakeImap


def _connection() -> Any:
    return SimpleNamespace(
        mailbox=SimpleNamespace(address=ADDRESS),
        auth=MailboxConnection.Auth.PASSWORD,
        imap_host="127.0.0.1",
        imap_port=1143,
    )


def test_imap_password_login_is_refused_in_production(settings: Any, imap: type[FakeImap]) -> None:
    settings.PRODUCTION = True
    with pytest.raises(fetch.FetchError, match="refusée en production"):
        fetch.open_imap(_connection())
    assert imap.logins == []


def test_imap_password_login_serves_the_test_operator_elsewhere(
    settings: Any, imap: type[FakeImap]
) -> None:
    settings.PRODUCTION, settings.MSSANTE_TEST_PASSWORD = False, "secret-de-test"
    fetch.open_imap(_connection())
    assert imap.logins == [(ADDRESS, "secret-de-test")]


def test_smtp_password_login_is_refused_in_production(settings: Any) -> None:
    settings.PRODUCTION = True
    mailbox = SimpleNamespace(address=ADDRESS, connection=_connection())
    with pytest.raises(transport.TransportError, match="refusée en production"):
        transport._login(mailbox)
    settings.PRODUCTION = False
    login, _, _ = transport._login(mailbox)
    assert login is not None and login.password == settings.MSSANTE_TEST_PASSWORD
