"""End to end over the two test operators (Postfix + Dovecot): send, fetch, acknowledge.

The GP's PER box sends and fetches with XOAUTH2 (her Pro Santé Connect token from the local
OpenID provider, checked by Dovecot's oauth2 passdb through token introspection); the SSIAD's
ORG box with the nurse's own token (the operator's delegation: she is a member, see
test_mssante_team_delegation.py); the APP box logs in with its client certificate (mTLS).
"""

from __future__ import annotations

from typing import Any

import pytest

from backend.accounts.models import Professional
from backend.mssante.actions import queue_message
from backend.mssante.documents import HealthDocument
from backend.mssante.inbox.fetch import fetch_connection
from backend.mssante.inbox.models import InboundMessage
from backend.mssante.models import OutboundRecipient
from backend.patients.models import Patient
from tests.operator.operator import OP2, Operators
from tests.support.inbox import OperatorWorld, operator_world, wait_for_mail
from tests.support.mssante import eager_tasks, small_pdf

pytestmark = [pytest.mark.operator, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(personas: Any, mss_operators: Operators, settings: Any) -> OperatorWorld:
    return operator_world(personas, mss_operators, settings)


def _send_discharge_letter(world: OperatorWorld, personas: Any, to: str) -> Any:
    patient = Patient.objects.get(birth_name="LEFEBVRE")
    with eager_tasks():
        return queue_message(
            actor=personas.gp,
            sender_mailbox=world.gp_box,
            recipients=[to],
            subject="Demande de passage infirmier",
            text="Bonjour, pouvez-vous passer chez Mme Lefebvre ?",
            health_document=HealthDocument(
                pdf=small_pdf("Lettre de liaison"),
                title="Lettre de liaison",
                type_code="11490-0",
                patient=patient,
                author=Professional.objects.get(user=personas.gp),
            ),
            read_receipt=True,
            delivery_receipt=True,
        )


def _fetch_until(world: OperatorWorld, connection: Any, needle: str) -> None:
    wait_for_mail(world.operators.maildir(connection.mailbox.address), needle)
    with eager_tasks():
        result = fetch_connection(connection.pk)
    assert result.error == ""


def test_a_health_document_travels_to_a_team_box_and_its_mdn_comes_back_as_read(
    world: OperatorWorld, personas: Any
) -> None:
    sent = _send_discharge_letter(world, personas, f"ssiad@{OP2}")
    recipient = sent.recipients.get()
    assert recipient.status == OutboundRecipient.Status.SENT

    _fetch_until(world, world.team, sent.message_id)
    # The operators live for the whole session: the team box may hold other tests' mails.
    mail = InboundMessage.objects.get(mailbox=world.team_box, message_id=sent.message_id)
    assert mail.status == InboundMessage.Status.OK
    assert mail.subject.startswith("XDM/1.0/DDM+")
    assert {p["filename"] for p in mail.parts} >= {"IHE_XDM.ZIP"}
    assert mail.xdm["ins_status"] == "valid"
    assert mail.xdm["documents"][0]["type_code"] == "11490-0"
    # The SSIAD does not follow this patient: creation is offered, never done silently.
    assert mail.patient_match == InboundMessage.PatientMatch.OFFER
    assert mail.patient is None
    world.team.refresh_from_db()
    assert world.team.state == "ok" and world.team.last_uid >= 1
    assert world.gp.auth == "xoauth2"

    # The MDN (ANS format) and the operator's DSN reach the GP's box; fetching them updates
    # the recipient's status.
    _fetch_until(world, world.gp, "MDN-sent-automatically")
    recipient.refresh_from_db()
    assert recipient.status == OutboundRecipient.Status.READ
    mdn = InboundMessage.objects.get(mailbox=world.gp_box, kind=InboundMessage.Kind.MDN)
    assert mdn.team_state == InboundMessage.TeamState.DONE


def test_an_unknown_address_comes_back_as_failed_with_the_reason(
    world: OperatorWorld, personas: Any
) -> None:
    sent = _send_discharge_letter(world, personas, f"personne@{OP2}")
    _fetch_until(world, world.gp, "personne@op2.test.mssante.fr")
    recipient = sent.recipients.get()
    assert recipient.status == OutboundRecipient.Status.FAILED
    assert "personne@op2.test.mssante.fr" in recipient.reason or "unknown" in recipient.reason
    sent.refresh_from_db()
    assert sent.status == "failed"


def test_an_app_mailbox_is_fetched_with_its_client_certificate(
    world: OperatorWorld, personas: Any
) -> None:
    sent = _send_discharge_letter(world, personas, f"labo-app@{OP2}")
    _fetch_until(world, world.app, sent.message_id)
    assert InboundMessage.objects.filter(mailbox=world.app_box).count() == 1
    world.app.refresh_from_db()
    assert world.app.auth == "certificate" and world.app.state == "ok"


def test_a_second_fetch_stores_nothing_twice(world: OperatorWorld, personas: Any) -> None:
    sent = _send_discharge_letter(world, personas, f"ssiad@{OP2}")
    _fetch_until(world, world.team, sent.message_id)
    stored = InboundMessage.objects.filter(mailbox=world.team_box).count()
    assert InboundMessage.objects.filter(message_id=sent.message_id).count() == 1
    world.team.refresh_from_db()
    world.team.last_uid = 0  # as if the cursor had been lost: the UID constraint still holds
    world.team.save(update_fields=["last_uid"])
    result = fetch_connection(world.team.pk)
    assert result.stored == 0 and result.skipped == stored
    assert InboundMessage.objects.filter(mailbox=world.team_box).count() == stored


def test_without_a_psc_token_the_mailbox_waits_and_nothing_breaks(
    world: OperatorWorld, personas: Any
) -> None:
    from django.core.cache import cache

    cache.clear()  # the GP's Pro Santé Connect session is gone
    result = fetch_connection(world.gp.pk)
    world.gp.refresh_from_db()
    assert world.gp.state == "waiting"
    assert "jeton Pro Santé Connect" in result.error


def test_an_unreachable_operator_is_a_mailbox_state(world: OperatorWorld) -> None:
    from tests.operator.operator import free_port

    world.team.imap_port = free_port()  # nothing listens there
    world.team.save(update_fields=["imap_port"])
    result = fetch_connection(world.team.pk)
    world.team.refresh_from_db()
    assert world.team.state == "error" and "injoignable" in world.team.last_error
    assert result.stored == 0
