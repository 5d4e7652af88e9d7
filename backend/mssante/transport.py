"""How composed mails leave the platform: ``.eml`` files (embedded default) or an SMTP relay.

The SMTP relay is reached with STARTTLS only (never in clear), TLS 1.2 at least, its certificate
checked against the configured CA bundle (IGC-Santé in production) and its host name; the client
certificate and key, when configured, authenticate the platform (mutual TLS, as for APP
mailboxes). Errors are classified: SMTP 4xx, refused connections, timeouts and TLS failures are
temporary (the task retries); SMTP 5xx is permanent and its text becomes the recipient's reason.
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from backend.mssante.tls import client_context

__all__ = [
    "OutboxTransport",
    "Session",
    "SmtpLogin",
    "SmtpTransport",
    "Transport",
    "TransportError",
    "get_transport",
]

_MAX_REASON = 400


class TransportError(Exception):
    """A failed send. ``permanent`` (5xx): do not retry; ``connection_lost``: the session is
    unusable, so the remaining recipients of this run are retried later."""

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool = False,
        connection_lost: bool = False,
        code: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason[:_MAX_REASON]
        self.permanent = permanent
        self.connection_lost = connection_lost
        self.code = code


class Session(Protocol):
    def send(
        self, sender: str, recipient: str, data: bytes, *, name: str, notify: bool = False
    ) -> str:
        """Deliver ``data`` to ``recipient``; returns the server's answer (no health data)."""


class Transport(Protocol):
    def session(self) -> AbstractContextManager[Session]: ...


def _smtp_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def _reply_error(code: int, text: bytes | str) -> TransportError:
    permanent = 500 <= code < 600
    return TransportError(_smtp_text(code, text), permanent=permanent, code=code)


class OutboxTransport:
    """Writes each mail to ``<outbox dir>/<name>.eml`` (written then renamed: never half a file)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportError(f"Dossier d'envoi inaccessible ({exc.strerror}).") from exc
        yield self

    def send(
        self, sender: str, recipient: str, data: bytes, *, name: str, notify: bool = False
    ) -> str:
        target = self.directory / f"{name}.eml"
        if target.exists():
            return f"déjà écrit : {target.name}"
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TransportError(f"Écriture du fichier impossible ({exc.strerror}).") from exc
        _deliver_locally(recipient, data)
        return f"écrit : {target.name}"


@dataclass(frozen=True)
class SmtpLogin:
    """SASL for submission: XOAUTH2 with a Pro Santé Connect token, or a password (test
    operators only). An APP mailbox has no login: its client certificate authenticates it."""

    user: str
    token: str | None = None
    password: str | None = None


def _deliver_locally(recipient: str, data: bytes) -> None:
    """Embedded mode: a mail to a mailbox of this platform lands in its Maildir under var/."""
    from backend.accounts.models import Mailbox
    from backend.mssante.maildir import open_maildir

    if Mailbox.objects.filter(address=recipient.lower()).exists():
        try:
            open_maildir(recipient).add(data)
        except OSError as exc:
            raise TransportError(
                f"Écriture du dossier Maildir impossible ({exc.strerror})."
            ) from exc


class _SmtpSession:
    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp

    def send(
        self, sender: str, recipient: str, data: bytes, *, name: str, notify: bool = False
    ) -> str:
        # One envelope per recipient, so each recipient has its own outcome and a retry only
        # concerns the recipients not yet accepted. ``notify``: ask for a DSN (RFC 3461).
        dsn = notify and self.smtp.has_extn("dsn")
        try:
            code, text = self.smtp.mail(sender, ["RET=HDRS"] if dsn else [])
            if code != 250:
                self._reset()
                raise _reply_error(code, text)
            code, text = self.smtp.rcpt(recipient, ["NOTIFY=SUCCESS,FAILURE"] if dsn else [])
            if code not in (250, 251):
                self._reset()
                raise _reply_error(code, text)
            code, text = self.smtp.data(data)
            if code != 250:
                raise _reply_error(code, text)
        except smtplib.SMTPServerDisconnected as exc:
            raise TransportError(
                f"Connexion au relais interrompue ({exc}).", connection_lost=True
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _reply_error(exc.smtp_code, exc.smtp_error) from exc
        except OSError as exc:
            raise TransportError(
                f"Connexion au relais interrompue ({exc}).", connection_lost=True
            ) from exc
        return _smtp_text(code, text)

    def _reset(self) -> None:
        with suppress(smtplib.SMTPException, OSError):
            self.smtp.rset()


class SmtpTransport:
    """SMTP submission with mandatory STARTTLS (TLS 1.2+, verified server, optional client cert)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ca_file: str | None = None,
        client_cert: str | None = None,
        client_key: str | None = None,
        timeout: float = 30.0,
        helo_name: str = "localhost",
        crl_file: str | None = None,
        login: SmtpLogin | None = None,
    ) -> None:
        self.host, self.port, self.timeout, self.helo_name = host, port, timeout, helo_name
        self.ca_file, self.client_cert, self.client_key = ca_file, client_cert, client_key
        self.crl_file, self.login = crl_file, login

    def tls_context(self) -> ssl.SSLContext:
        return client_context(
            ca_file=self.ca_file,
            crl_file=self.crl_file,
            client_cert=self.client_cert,
            client_key=self.client_key,
        )

    def _authenticate(self, smtp: smtplib.SMTP) -> None:
        login = self.login
        if login is None:
            return
        if login.token is not None:
            sasl = f"user={login.user}\x01auth=Bearer {login.token}\x01\x01"
            code, text = smtp.docmd("AUTH", "XOAUTH2 " + base64.b64encode(sasl.encode()).decode())
            if code == 334:  # the server's error details; the client answers with an empty line
                code, text = smtp.docmd("")
            if code != 235:
                raise _reply_error(code, text)
        elif login.password is not None:
            smtp.login(login.user, login.password)

    @contextmanager
    def session(self) -> Iterator[Session]:
        smtp: smtplib.SMTP | None = None
        try:
            try:
                context = self.tls_context()
            except ImproperlyConfigured as exc:
                raise TransportError(f"Configuration TLS MSSanté incomplète : {exc}") from exc
            # The host given here is also the name the server certificate must match.
            smtp = smtplib.SMTP(
                self.host, self.port, local_hostname=self.helo_name, timeout=self.timeout
            )
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise TransportError("Le relais MSSanté ne propose pas STARTTLS : envoi refusé.")
            smtp.starttls(context=context)
            smtp.ehlo()
            self._authenticate(smtp)
        except TransportError:
            _close(smtp)
            raise
        except ssl.SSLError as exc:
            _close(smtp)
            raise TransportError(f"Échec de la négociation TLS avec le relais ({exc}).") from exc
        except smtplib.SMTPResponseException as exc:
            _close(smtp)
            raise _reply_error(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            _close(smtp)
            raise TransportError(f"Relais MSSanté injoignable ({exc}).") from exc
        try:
            yield _SmtpSession(smtp)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                _close(smtp)


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with suppress(OSError):
            smtp.close()


def _login(mailbox: Any, actor: Any = None) -> tuple[SmtpLogin | None, str | None, str | None]:
    """The SASL login, client certificate and key of ``mailbox``'s connection (for an ORG
    mailbox, the acting member's own PSC token when they have one)."""
    from backend.mssante.inbox import tokens
    from backend.mssante.inbox.models import MailboxConnection as C

    connection = getattr(mailbox, "connection", None)
    if connection is None:
        return (
            None,
            settings.MSSANTE_SMTP_CLIENT_CERT or None,
            settings.MSSANTE_SMTP_CLIENT_KEY or None,
        )
    if connection.auth == C.Auth.CERTIFICATE:
        return None, connection.client_cert or None, connection.client_key or None
    if connection.auth == C.Auth.PASSWORD:
        if settings.PRODUCTION:
            raise TransportError("Authentification par mot de passe refusée en production.")
        return SmtpLogin(mailbox.address, password=settings.MSSANTE_TEST_PASSWORD), None, None
    token = tokens.token_for_mailbox(mailbox, actor)
    if token is None:
        raise TransportError("Aucun jeton Pro Santé Connect valide pour envoyer depuis cette BAL.")
    return SmtpLogin(mailbox.address, token=token), None, None


def get_transport(mailbox: Any = None, actor: Any = None) -> OutboxTransport | SmtpTransport:
    """The transport named by ``MSSANTE_TRANSPORT`` (read at each call: tests override it),
    with the submission server and login of ``mailbox``'s connection when it has one;
    ``actor``: who sends (their token opens a team mailbox first)."""
    if settings.MSSANTE_TRANSPORT == "smtp":
        connection = getattr(mailbox, "connection", None) if mailbox is not None else None
        login, cert, key = (
            _login(mailbox, actor)
            if mailbox is not None
            else (
                None,
                settings.MSSANTE_SMTP_CLIENT_CERT or None,
                settings.MSSANTE_SMTP_CLIENT_KEY or None,
            )
        )
        return SmtpTransport(
            (connection and connection.smtp_host) or str(settings.MSSANTE_SMTP_HOST),
            (connection and connection.smtp_port) or int(settings.MSSANTE_SMTP_PORT),
            ca_file=settings.MSSANTE_SMTP_CA_FILE or settings.MSSANTE_CA_FILE or None,
            crl_file=settings.MSSANTE_CRL_FILE or None,
            client_cert=cert,
            client_key=key,
            timeout=float(settings.MSSANTE_SMTP_TIMEOUT),
            helo_name=str(settings.MSSANTE_SMTP_HELO_NAME),
            login=login,
        )
    return OutboxTransport(settings.MSSANTE_OUTBOX_DIR)
