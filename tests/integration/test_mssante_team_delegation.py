"""Team (ORG) mailboxes open with a member's own Pro Santé Connect token, against the real
Dovecot of the test operator: its delegation (tests/operator/delegation.py) introspects the
token at the local OpenID provider and accepts it only when the token's subject is a member of
the box in the operator's record. No password: the platform holds the members' tokens in its
cache only, and a refused or expired token is a mailbox state, never an error page."""

from __future__ import annotations

import base64
import imaplib
import smtplib
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from backend.accounts.models import Membership
from backend.mssante.actions import queue_message
from backend.mssante.inbox.fetch import NO_SIGNED_IN_MEMBER, REFUSED_BY_OPERATOR, fetch_connection
from backend.mssante.inbox.models import InboundMessage, MailboxConnection
from backend.mssante.inbox.samples import plain_mail
from backend.mssante.models import OutboundRecipient
from backend.mssante.tls import client_context
from tests.operator.operator import OP1, OP2, Operators
from tests.support.inbox import OperatorWorld, operator_world, sign_in_psc, wait_for_mail
from tests.support.mssante import eager_tasks

pytestmark = [pytest.mark.operator, pytest.mark.django_db(transaction=True)]
TEAM = f"ssiad@{OP2}"


@pytest.fixture
def world(personas: Any, mss_operators: Operators, settings: Any) -> OperatorWorld:
    return operator_world(personas, mss_operators, settings)


def _imap(operators: Operators) -> imaplib.IMAP4:
    imap = imaplib.IMAP4("127.0.0.1", operators.of(TEAM).imap_port)
    imap.starttls(ssl_context=client_context(ca_file=str(operators.pki.ca_bundle)))
    return imap


def _xoauth2(address: str, token: str) -> Any:
    sent: list[bool] = []

    def answer(_challenge: bytes) -> bytes:
        if sent:
            return b""  # the server's error details: an empty line, then its refusal
        sent.append(True)
        return f"user={address}\x01auth=Bearer {token}\x01\x01".encode()

    return answer


def _opens(operators: Operators, token: str) -> bool:
    imap = _imap(operators)
    try:
        imap.authenticate("XOAUTH2", _xoauth2(TEAM, token))
    except imaplib.IMAP4.error:
        return False
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            imap.shutdown()
    return True


def _wait_until_inactive(operators: Operators, token: str) -> None:
    # The token's expiry at the provider is the event awaited (bounded; not a measure).
    deadline = time.monotonic() + 30
    while operators.psc.introspect(token).get("active"):
        assert time.monotonic() < deadline, "le jeton de test n'expire pas"
        time.sleep(0.2)


def _append(world: OperatorWorld, personas: Any, subject: str) -> None:
    # The GP's mail reaches the team box through op1 and op2 (submission with her token).
    raw = plain_mail(f"dr.martin@{OP1}", TEAM, subject, "Bonjour, passage demain ?")
    op = world.operators.of(f"dr.martin@{OP1}")
    with smtplib.SMTP("127.0.0.1", op.submission_port) as smtp:
        smtp.starttls(context=client_context(ca_file=str(world.operators.pki.ca_bundle)))
        token = world.operators.psc.access_token(personas.gp.professional.rpps)
        sasl = f"user=dr.martin@{OP1}\x01auth=Bearer {token}\x01\x01"
        code, _ = smtp.docmd("AUTH", "XOAUTH2 " + _b64(sasl))
        assert code == 235
        smtp.sendmail(f"dr.martin@{OP1}", [TEAM], raw)
    wait_for_mail(world.operators.maildir(TEAM), subject)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_member_opens_the_team_box_with_her_own_token(
    world: OperatorWorld, personas: Any
) -> None:
    nurse_token = world.operators.psc.access_token(personas.nurse.professional.rpps)
    assert _opens(world.operators, nurse_token)

    _append(world, personas, "Passage infirmier demain")
    cache.clear()
    sign_in_psc(world.operators, personas.nurse)  # only the nurse is signed in
    result = fetch_connection(world.team.pk)
    assert result.error == "" and result.stored >= 1
    world.team.refresh_from_db()
    assert world.team.auth == "xoauth2" and world.team.state == "ok"
    assert InboundMessage.objects.filter(
        mailbox=world.team_box, subject="Passage infirmier demain"
    ).exists()


def test_a_non_member_token_is_refused_by_the_operator(world: OperatorWorld, personas: Any) -> None:
    gp_token = world.operators.psc.access_token(personas.gp.professional.rpps)
    assert not _opens(world.operators, gp_token)
    # Submission as the team box with her token is refused too.
    op = world.operators.of(TEAM)
    with smtplib.SMTP("127.0.0.1", op.submission_port) as smtp:
        smtp.starttls(context=client_context(ca_file=str(world.operators.pki.ca_bundle)))
        code, _ = smtp.docmd(
            "AUTH", "XOAUTH2 " + _b64(f"user={TEAM}\x01auth=Bearer {gp_token}\x01\x01")
        )
        if code == 334:
            code, _ = smtp.docmd("")
        assert code == 535

    # The platform believes the GP is a member too (she joined the SSIAD here), but the
    # operator's record does not list her: with only her signed in, the box waits.
    Membership.objects.create(
        professional=personas.gp.professional,
        organization=personas.nurse.professional.memberships.get().organization,
        role=Membership.Role.CLINICIAN,
    )
    world.team_box.members.add(personas.gp.professional)
    cache.clear()
    sign_in_psc(world.operators, personas.gp)
    result = fetch_connection(world.team.pk)
    world.team.refresh_from_db()
    assert result.error == REFUSED_BY_OPERATOR
    assert world.team.state == "waiting" and world.team.last_error == REFUSED_BY_OPERATOR
    # When the nurse signs in as well, her token is tried after the refused one: it opens.
    sign_in_psc(world.operators, personas.nurse)
    assert fetch_connection(world.team.pk).error == ""
    world.team.refresh_from_db()
    assert world.team.state == "ok"


def test_an_expired_token_is_refused_and_shows_as_a_mailbox_state(
    world: OperatorWorld, personas: Any
) -> None:
    cache.clear()
    token = sign_in_psc(world.operators, personas.nurse, ttl=1)
    _wait_until_inactive(world.operators, token)
    assert not _opens(world.operators, token)

    result = fetch_connection(world.team.pk)
    assert result.error == REFUSED_BY_OPERATOR and result.stored == 0
    client = Client()
    client.force_login(personas.nurse)
    answer = client.get("/api/mssante/mailboxes")
    assert answer.status_code == 200
    box = next(b for b in answer.json()["mailboxes"] if b["address"] == TEAM)
    assert box["state"] == "waiting"
    assert "reconnectez-vous avec Pro Santé Connect" in box["state_detail"]
    # The token is never written to the database: only the cache held it.
    assert token not in str(list(MailboxConnection.objects.values()))


def test_nobody_signed_in_leaves_the_team_box_waiting(world: OperatorWorld) -> None:
    cache.clear()
    assert fetch_connection(world.team.pk).error == NO_SIGNED_IN_MEMBER
    world.team.refresh_from_db()
    assert world.team.state == "waiting"


def test_a_member_sends_from_the_team_box_with_her_own_token(
    world: OperatorWorld, personas: Any
) -> None:
    cache.clear()
    sign_in_psc(world.operators, personas.nurse)
    with eager_tasks():
        sent = queue_message(
            actor=personas.nurse,
            sender_mailbox=world.team_box,
            recipients=[f"dr.martin@{OP1}"],
            subject="Passage effectué",
            text="Bonjour Docteur, le passage de ce matin est fait.",
        )
    assert sent.recipients.get().status == OutboundRecipient.Status.SENT
    mail = wait_for_mail(world.operators.maildir(f"dr.martin@{OP1}"), sent.message_id)
    assert f"From: {TEAM}".encode() in mail
