"""A real SMTP relay on loopback for the MSSanté tests: STARTTLS required, client certificate
required, certificates from a test CA made at test time with ``cryptography``.

    with SmtpRelay.running(tmp_path) as relay:
        with override_settings(**relay.settings()):
            ...  # MSSANTE_TRANSPORT=smtp now reaches this relay
        relay.messages  # what arrived: envelope + bytes

``stop()`` / ``start()`` take the relay down and up on the same port; ``reject[address]`` makes
the relay answer that reply (e.g. "550 5.1.1 ...") to ``RCPT TO`` for the address.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Received", "SmtpRelay", "TestPki", "make_pki"]


@dataclass(frozen=True)
class TestPki:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Liaison Santé tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer_name: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    usage: x509.ObjectIdentifier | None = None,
    san: list[x509.GeneralName] | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(directory: Path, name: str = "ca") -> TestPki:
    """A CA, a server certificate for 127.0.0.1 / localhost and a client certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"Autorité de test {name}")
    ca = _issue(f"Autorité de test {name}", ca_key, ca_name, ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue(
        "localhost",
        server_key,
        ca_name,
        ca_key,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        san=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue(
        "liaison-sante-tests", client_key, ca_name, ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    pki = TestPki(
        ca_cert=directory / f"{name}.pem",
        server_cert=directory / f"{name}-server.pem",
        server_key=directory / f"{name}-server.key",
        client_cert=directory / f"{name}-client.pem",
        client_key=directory / f"{name}-client.key",
    )
    pem = serialization.Encoding.PEM
    pki.ca_cert.write_bytes(ca.public_bytes(pem))
    pki.server_cert.write_bytes(server.public_bytes(pem))
    pki.client_cert.write_bytes(client.public_bytes(pem))
    _write_key(server_key, pki.server_key)
    _write_key(client_key, pki.client_key)
    return pki


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    tls: bool
    client_subject: str

    def parse(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        reply = self.reject.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        subject = ""
        ssl_object = session.ssl and session.ssl.get("ssl_object")
        if ssl_object is not None:
            peer = ssl_object.getpeercert() or {}
            subject = " ".join(v for rdn in peer.get("subject", ()) for _, v in rdn)
        with self.lock:
            self.messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=bytes(envelope.original_content or envelope.content),
                    tls=bool(session.ssl),
                    client_subject=subject,
                )
            )
        return "250 2.0.0 OK mis en file"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpRelay:
    """An aiosmtpd relay requiring STARTTLS and a client certificate signed by the test CA."""

    def __init__(self, directory: Path) -> None:
        self.pki = make_pki(directory)
        self.port = _free_port()
        self.handler = _Handler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def reject(self) -> dict[str, str]:
        return self.handler.reject

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.pki.server_cert, self.pki.server_key)
        context.load_verify_locations(cafile=self.pki.ca_cert)
        context.verify_mode = ssl.CERT_REQUIRED
        return context

    def start(self) -> None:
        assert self._controller is None, "relay already running"
        controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=self._tls_context(),
            require_starttls=True,
            decode_data=False,
            ident="Relais MSSanté de test",
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def settings(self, *, client_certificate: bool = True) -> dict[str, Any]:
        """``override_settings`` values pointing the MSSanté SMTP transport at this relay."""
        return {
            "MSSANTE_TRANSPORT": "smtp",
            "MSSANTE_SMTP_HOST": "127.0.0.1",
            "MSSANTE_SMTP_PORT": self.port,
            "MSSANTE_SMTP_CA_FILE": str(self.pki.ca_cert),
            "MSSANTE_SMTP_CLIENT_CERT": str(self.pki.client_cert) if client_certificate else None,
            "MSSANTE_SMTP_CLIENT_KEY": str(self.pki.client_key) if client_certificate else None,
            "MSSANTE_SMTP_TIMEOUT": 5,
        }

    @classmethod
    @contextmanager
    def serving(cls, directory: Path) -> Iterator[SmtpRelay]:
        relay = cls(directory)
        relay.start()
        try:
            yield relay
        finally:
            relay.stop()
