"""Helpers of the inbox tests: mailboxes at the test operators, waiting for a delivery."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from backend.accounts.models import Mailbox, Professional, User
from backend.accounts.psc import tokens as psc_tokens
from backend.mssante.documents import patient_identity
from backend.mssante.inbox.actions import store_fetched
from backend.mssante.inbox.models import InboundMessage, MailboxConnection
from backend.mssante.inbox.samples import health_mail
from backend.mssante.models import TrustedDomain
from backend.patients.models import Patient
from tests.operator.operator import OP1, OP2, Operators

HOSPITAL = "secretariat.medecine@ch-exemple.demo.mssante.fr"


def store_discharge_letter(gp: User) -> InboundMessage:
    """A hospital's discharge letter for Mme Lefebvre (XDM + PDF) in ``gp``'s PER box, her INS
    matched to her record."""
    TrustedDomain.objects.get_or_create(
        domain="ch-exemple.demo.mssante.fr", defaults={"imported_at": timezone.now()}
    )
    box = Mailbox.objects.get(kind=Mailbox.Kind.PERSONAL, professional__user=gp)
    patient = Patient.objects.get(birth_name="LEFEBVRE")
    raw = health_mail(HOSPITAL, box.address, patient_identity(patient),
                      label="Lettre de liaison de sortie", type_code="11490-0",
                      text="Bonjour Docteur, la lettre de liaison de votre patiente.")  # fmt: skip
    mail = store_fetched(box, raw)
    assert mail is not None and mail.patient_match == InboundMessage.PatientMatch.MATCHED
    return mail


def wait_for_mail(maildir: Path, needle: str, timeout: float = 60) -> bytes:
    """The first mail of ``maildir`` (new/ or cur/) containing ``needle``.

    Delivery by the operators' queues is asynchronous and gives no signal to wait on other than
    the file appearing; this polls the directory (the bound is a failure, not a measure).
    """
    deadline = time.monotonic() + timeout
    wanted = needle.encode()
    while time.monotonic() < deadline:
        for folder in ("new", "cur"):
            directory = maildir / folder
            if directory.is_dir():
                for path in sorted(directory.iterdir()):
                    data = path.read_bytes()
                    if wanted in data:
                        return data
        time.sleep(0.2)
    raise AssertionError(f"aucun courrier contenant {needle!r} dans {maildir}")


def sign_in_psc(operators: Operators, user: Any, ttl: int = 300) -> str:
    """``user`` as after a Pro Santé Connect sign-in: an access token of the operators'
    provider in the server-side cache (``ttl``: its lifetime at the provider)."""
    token = operators.psc.access_token(user.professional.rpps, ttl=ttl)
    psc_tokens.store(user, {"access_token": token, "expires_in": 300})
    return token


def connect(
    mailbox: Mailbox, operators: Operators, auth: str = MailboxConnection.Auth.XOAUTH2
) -> MailboxConnection:
    """Point ``mailbox`` at its test operator (IMAP and submission on loopback)."""
    op = operators.of(mailbox.address)
    fields: dict[str, Any] = {
        "source": MailboxConnection.Source.IMAP,
        "auth": auth,
        "imap_host": "127.0.0.1",
        "imap_port": op.imap_port,
        "smtp_host": "127.0.0.1",
        "smtp_port": op.submission_port,
    }
    if auth == MailboxConnection.Auth.CERTIFICATE:
        cert, key = operators.client_cert(mailbox.address)
        fields |= {"client_cert": str(cert), "client_key": str(key)}
    connection, _ = MailboxConnection.objects.update_or_create(mailbox=mailbox, defaults=fields)
    return connection


@dataclass
class OperatorWorld:
    """The demo people with mailboxes at the test operators.

    dr.martin (GP) has ``dr.martin@op1``; the SSIAD team box ``ssiad@op2`` has the nurse
    (clinical) and the billing clerk (non-clinical) as members; ``labo-app@op2`` is an APP box.
    The GP's and the SSIAD's boxes open with XOAUTH2 (PSC tokens), the APP box with mTLS.
    """

    operators: Operators
    gp_box: Mailbox
    team_box: Mailbox
    app_box: Mailbox
    gp: MailboxConnection
    team: MailboxConnection
    app: MailboxConnection


def operator_world(personas: Any, operators: Operators, settings: Any) -> OperatorWorld:
    settings.MSSANTE_TRANSPORT = "smtp"
    settings.MSSANTE_CA_FILE = str(operators.pki.ca_bundle)
    settings.MSSANTE_CRL_FILE = str(operators.pki.crl)
    settings.MSSANTE_TEST_PASSWORD = operators.password
    now = timezone.now()
    for domain in (OP1, OP2):
        TrustedDomain.objects.get_or_create(domain=domain, defaults={"imported_at": now})
    gp_box = Mailbox.objects.get(kind=Mailbox.Kind.PERSONAL, professional__user=personas.gp)
    Mailbox.objects.filter(pk=gp_box.pk).update(address=f"dr.martin@{OP1}")
    gp_box.refresh_from_db()
    nurse = Professional.objects.get(user=personas.nurse)
    team_box = Mailbox.objects.create(
        address=f"ssiad@{OP2}",
        kind=Mailbox.Kind.ORGANIZATIONAL,
        organization=nurse.memberships.first().organization,  # type: ignore[union-attr]
        display_name="SSIAD — équipe",
        responsible=nurse,
    )
    team_box.members.add(nurse, Professional.objects.get(user=personas.billing))
    service, _ = User.objects.get_or_create(username="svc.labo", defaults={"is_service": True})
    app_box = Mailbox.objects.create(
        address=f"labo-app@{OP2}",
        kind=Mailbox.Kind.APPLICATION,
        organization=team_box.organization,
        display_name="Laboratoire (application)",
        service_user=service,
    )
    # The GP and the nurse are signed in with Pro Santé Connect: their tokens (from the
    # operators' provider) are in the server-side cache, as after a real sign-in. The GP's
    # token opens her PER box; the nurse's opens the SSIAD's ORG box, whose operator lists her
    # as a member (delegation): no password anywhere.
    for person in (personas.gp, personas.nurse):
        sign_in_psc(operators, person)
    return OperatorWorld(
        operators=operators,
        gp_box=gp_box,
        team_box=team_box,
        app_box=app_box,
        gp=connect(gp_box, operators, MailboxConnection.Auth.XOAUTH2),
        team=connect(team_box, operators, MailboxConnection.Auth.XOAUTH2),
        app=connect(app_box, operators, MailboxConnection.Auth.CERTIFICATE),
    )
