"""The test operators themselves: Postfix + Dovecot on loopback behave as an MSSanté operator.

These tests talk to the servers with the platform's own TLS context (backend.mssante.tls):
STARTTLS, TLS 1.2+, the test IGC-Santé chain, the CRL, client certificates for APP mailboxes.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import warnings
from pathlib import Path

import pytest

from backend.mssante.tls import client_context
from tests.operator.fixture import operator_members
from tests.operator.operator import OP1, OP2, Operators
from tests.support.inbox import wait_for_mail

pytestmark = pytest.mark.operator


def _context(ops: Operators, cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    return client_context(
        ca_file=str(ops.pki.ca_bundle),
        crl_file=str(ops.pki.crl),
        client_cert=str(cert[0]) if cert else None,
        client_key=str(cert[1]) if cert else None,
    )


def _submit(ops: Operators, sender: str, to: str, subject: str, notify: bool = False) -> None:
    op = ops.of(sender)
    data = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@{op.domain}>\r\n\r\nBonjour.\r\n"
    ).encode()
    with smtplib.SMTP("127.0.0.1", op.submission_port) as smtp:
        smtp.starttls(context=_context(ops))
        smtp.login(sender, ops.password)
        options = ["NOTIFY=SUCCESS,FAILURE"] if notify else []
        smtp.sendmail(sender, [to], data, rcpt_options=options)


def test_submission_refuses_authentication_before_starttls(mss_operators: Operators) -> None:
    op = mss_operators.op("op1")
    with smtplib.SMTP("127.0.0.1", op.submission_port) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        assert not smtp.has_extn("auth")
        code, _ = smtp.mail(f"dr.martin@{OP1}")
        assert code == 530  # must issue STARTTLS first


def test_tls_below_1_2_is_refused(mss_operators: Operators) -> None:
    op = mss_operators.op("op2")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(mss_operators.pki.ca_bundle))
    with warnings.catch_warnings():  # the old versions are deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("ALL:@SECLEVEL=0")
    imap = imaplib.IMAP4("127.0.0.1", op.imap_port)
    try:
        with pytest.raises(ssl.SSLError):
            imap.starttls(ssl_context=context)
    finally:
        imap.sock.close()


def test_a_server_whose_certificate_is_revoked_is_refused(mss_operators: Operators) -> None:
    # The revoked test certificate is served by a throwaway TLS server on loopback.
    import socket
    import threading

    cert, key = mss_operators.pki.cert("revoked")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(str(cert), str(key))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server_context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            pytest.raises(ssl.SSLCertVerificationError, match="revoked"),
        ):
            _context(mss_operators).wrap_socket(raw, server_hostname="localhost")
    finally:
        thread.join(timeout=10)
        listener.close()


def test_mail_relays_from_op1_to_an_imap_box_of_op2(mss_operators: Operators) -> None:
    _submit(mss_operators, f"dr.martin@{OP1}", f"ssiad@{OP2}", "relais op1 op2")
    mail = wait_for_mail(mss_operators.maildir(f"ssiad@{OP2}"), "relais op1 op2")
    assert b"Received:" in mail and b"mx.op2.test.mssante.fr" in mail
    op = mss_operators.op("op2")
    imap = imaplib.IMAP4("127.0.0.1", op.imap_port)
    imap.starttls(ssl_context=_context(mss_operators))
    # An ORG box has no password: a member (the SSIAD nurse) opens it with her own PSC token.
    token = mss_operators.psc.access_token(operator_members()[f"ssiad@{OP2}"][0])
    sasl = f"user=ssiad@{OP2}\x01auth=Bearer {token}\x01\x01".encode()
    imap.authenticate("XOAUTH2", lambda _: sasl)
    imap.select("INBOX", readonly=True)
    _, found = imap.search(None, "SUBJECT", '"relais op1 op2"')
    assert found[0].split()
    imap.logout()


def test_an_unknown_address_comes_back_as_a_dsn_failure(mss_operators: Operators) -> None:
    _submit(mss_operators, f"dr.martin@{OP1}", f"inconnu@{OP2}", "adresse inconnue", notify=True)
    bounce = wait_for_mail(mss_operators.maildir(f"dr.martin@{OP1}"), "adresse inconnue")
    assert b"report-type=delivery-status" in bounce
    assert b"Action: failed" in bounce and b"inconnu@op2.test.mssante.fr" in bounce


def test_app_mailbox_logs_in_with_its_client_certificate_only(mss_operators: Operators) -> None:
    op = mss_operators.op("op2")
    address = f"labo-app@{OP2}"
    imap = imaplib.IMAP4("127.0.0.1", op.imap_port)
    imap.starttls(ssl_context=_context(mss_operators, mss_operators.client_cert(address)))
    typ, _ = imap.login(address, "certificat")
    assert typ == "OK"
    imap.logout()
    imap = imaplib.IMAP4("127.0.0.1", op.imap_port)
    imap.starttls(ssl_context=_context(mss_operators))
    with pytest.raises(imaplib.IMAP4.error):
        imap.login(address, "certificat")
    imap.shutdown()
