"""How composed mails leave the platform: ``.eml`` files (embedded default) or an SMTP relay.

The SMTP relay is reached with STARTTLS only (never in clear), TLS 1.2 at least, its certificate
checked against the configured CA bundle (IGC-Santé in production) and its host name; the client
certificate and key, when configured, authenticate the platform (mutual TLS, as for APP
mailboxes). Errors are classified: SMTP 4xx, refused connections, timeouts and TLS failures are
temporary (the task retries); SMTP 5xx is permanent and its text becomes the recipient's reason.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Protocol

from django.conf import settings

__all__ = [
    "OutboxTransport",
    "Session",
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
    def send(self, sender: str, recipient: str, data: bytes, *, name: str) -> str:
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

    def send(self, sender: str, recipient: str, data: bytes, *, name: str) -> str:
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
        return f"écrit : {target.name}"


class _SmtpSession:
    def __init__(self, smtp: smtplib.SMTP) -> None:
        self.smtp = smtp

    def send(self, sender: str, recipient: str, data: bytes, *, name: str) -> str:
        # One envelope per recipient, so each recipient has its own outcome and a retry only
        # concerns the recipients not yet accepted.
        try:
            code, text = self.smtp.mail(sender)
            if code != 250:
                self._reset()
                raise _reply_error(code, text)
            code, text = self.smtp.rcpt(recipient)
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
    ) -> None:
        self.host, self.port, self.timeout, self.helo_name = host, port, timeout, helo_name
        self.ca_file, self.client_cert, self.client_key = ca_file, client_cert, client_key

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.ca_file:
            context.load_verify_locations(cafile=self.ca_file)
        else:
            context.load_default_certs()
        if self.client_cert:
            context.load_cert_chain(self.client_cert, self.client_key or None)
        return context

    @contextmanager
    def session(self) -> Iterator[Session]:
        smtp: smtplib.SMTP | None = None
        try:
            context = self.tls_context()
            # The host given here is also the name the server certificate must match.
            smtp = smtplib.SMTP(
                self.host, self.port, local_hostname=self.helo_name, timeout=self.timeout
            )
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise TransportError("Le relais MSSanté ne propose pas STARTTLS : envoi refusé.")
            smtp.starttls(context=context)
            smtp.ehlo()
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


def get_transport() -> OutboxTransport | SmtpTransport:
    """The transport named by ``MSSANTE_TRANSPORT`` (read at each call: tests override it)."""
    if settings.MSSANTE_TRANSPORT == "smtp":
        return SmtpTransport(
            str(settings.MSSANTE_SMTP_HOST),
            int(settings.MSSANTE_SMTP_PORT),
            ca_file=settings.MSSANTE_SMTP_CA_FILE or None,
            client_cert=settings.MSSANTE_SMTP_CLIENT_CERT or None,
            client_key=settings.MSSANTE_SMTP_CLIENT_KEY or None,
            timeout=float(getattr(settings, "MSSANTE_SMTP_TIMEOUT", 30)),
            helo_name=getattr(settings, "MSSANTE_SMTP_HELO_NAME", "localhost"),
        )
    return OutboxTransport(settings.MSSANTE_OUTBOX_DIR)
