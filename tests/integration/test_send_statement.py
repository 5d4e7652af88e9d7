"""The one-statement plain send on PostgreSQL (`conversations.send_statement`): the same rows,
the same answers and the same invariants as the general path (`actions._send_message`), in one
round trip to the database.

On SQLite the general path sends everything; these tests then check that it still gives the
same rows and answers (the comparison tests run on both)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction

from backend.accounts.models import Mailbox
from backend.audit.models import AuditEvent
from backend.errors import Conflict, NotFound
from backend.patients.models import Patient
from conversations import actions, send_statement
from conversations.message_options import SendOptions
from conversations.models import Conversation, Message, ReadState
from tests.integration.test_team_mailbox_access import ORG_MAILBOX

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement send is PostgreSQL's"
)


def _about_morel(personas) -> Conversation:
    conversation, _ = actions.create_conversation(
        personas.cardiologist,
        users=[personas.dermatologist],
        title="Avis",
        patient=Patient.objects.get(birth_name="MOREL"),  # kept by CH du Mans
    )
    return conversation


def _event(message: Message) -> AuditEvent:
    return AuditEvent.objects.get(verb="message.sent", data__message=str(message.pk))


@pytest.mark.django_db
def test_a_plain_send_writes_what_the_general_path_writes(personas):
    conversation = _about_morel(personas)
    sender = personas.cardiologist
    plain = actions.send_message(sender, conversation.pk, client_id="c-plain", body="Avis ?")
    # `forwarded` takes the general path; it changes nothing that is compared below
    general = actions.send_message(
        sender,
        conversation.pk,
        client_id="c-general",
        body="Suite",
        options=SendOptions(forwarded=True),
    )
    assert (plain.created, general.created) == (True, True)
    assert (plain.message.seq, general.message.seq) == (1, 2)
    stored = Message.objects.get(pk=plain.message.pk)
    assert (stored.seq, stored.body, stored.sender_id, stored.client_id) == (
        1,
        "Avis ?",
        sender.pk,
        "c-plain",
    )
    assert stored.created_at == plain.message.created_at
    conversation.refresh_from_db()
    assert conversation.last_seq == 2
    assert plain.message.conversation.last_activity_at <= conversation.last_activity_at
    a, b = _event(plain.message), _event(general.message)
    for field in ("actor_id", "organization_id", "patient_id", "object_type", "object_id"):
        assert getattr(a, field) == getattr(b, field), field
    assert a.organization_id is not None and a.patient_id == conversation.patient_id
    assert a.data == {"message": str(plain.message.pk), "attachments": 0}
    assert ReadState.objects.get(conversation=conversation, user=sender).last_read_seq == 2
    # the payload the recipients get
    assert plain.payload is not None
    assert (plain.payload["seq"], plain.payload["body"]) == (1, "Avis ?")
    assert plain.payload["sender"] is not None
    assert plain.payload["sender"]["id"] == str(sender.pk)


@pytest.mark.django_db
def test_a_resend_writes_nothing_and_gives_the_seq_back(personas):
    conversation = _about_morel(personas)
    sender = personas.cardiologist
    first = actions.send_message(sender, conversation.pk, client_id="c-1", body="Un")
    again = actions.send_message(sender, conversation.pk, client_id="c-1", body="Un")
    assert again.created is False and again.message.pk == first.message.pk
    nxt = actions.send_message(sender, conversation.pk, client_id="c-2", body="Deux")
    assert nxt.message.seq == 2  # no gap: the resend's seq was given back
    assert AuditEvent.objects.filter(verb="message.sent").count() == 2
    assert Message.objects.filter(conversation=conversation).count() == 2


@pytest.mark.django_db
def test_a_client_id_used_in_another_conversation_is_refused(personas):
    sender = personas.cardiologist
    one = _about_morel(personas)
    other, _ = actions.create_conversation(sender, users=[personas.gp], title="Autre")
    actions.send_message(sender, one.pk, client_id="c-x", body="Un")
    with pytest.raises(Conflict) as refused:
        actions.send_message(sender, other.pk, client_id="c-x", body="Un")
    assert refused.value.code == "client_id_reused"
    other.refresh_from_db()
    assert other.last_seq == 0


@pytest.mark.django_db
def test_someone_who_takes_no_part_gets_not_found_and_changes_nothing(personas):
    conversation = _about_morel(personas)
    with pytest.raises(NotFound):
        actions.send_message(personas.nurse, conversation.pk, client_id="c-n", body="Intrus")
    with pytest.raises(NotFound):
        actions.send_message(personas.nurse, "not-a-uuid", client_id="c-n", body="Intrus")
    conversation.refresh_from_db()
    assert conversation.last_seq == 0
    assert not AuditEvent.objects.filter(verb="message.sent").exists()


@pytest.mark.django_db
def test_a_team_mailbox_member_gets_the_message_and_speaks_for_the_team(personas):
    team = Mailbox.objects.get(address=ORG_MAILBOX[0])
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], mailboxes=[team], title="Équipe"
    )
    from_gp = actions.send_message(personas.gp, conversation.pk, client_id="g-1", body="Bonjour")
    assert from_gp.payload is not None and from_gp.payload.get("team") is None
    from_team = actions.send_message(
        personas.secretary, conversation.pk, client_id="s-1", body="Reçu"
    )
    assert from_team.created and from_team.message.seq == 2
    assert from_team.payload is not None and from_team.payload["team"] is not None


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_plain_send_is_one_statement_in_autocommit(
    personas, django_assert_num_queries
):
    conversation = _about_morel(personas)
    sender = personas.cardiologist
    actions.send_message(sender, conversation.pk, client_id="warm", body="Cache des personnes")
    assert send_statement.available()
    with django_assert_num_queries(1):
        sent = actions.send_message(sender, conversation.pk, client_id="c-one", body="Un seul")
    assert sent.created and sent.message.seq == 2
    again = actions.send_message(sender, conversation.pk, client_id="c-one", body="Un seul")
    assert again.created is False and again.message.pk == sent.message.pk
    conversation.refresh_from_db()
    assert conversation.last_seq == 2


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_resend_racing_its_first_send_gets_the_stored_message_and_leaves_no_gap(personas):
    """The first send holds the conversation's row, uncommitted, when its resend's statement
    starts: the resend reads no stored message, waits for the row, then finds the client_id
    taken. Its statement must abort (giving its seq back) and answer with the stored message."""
    conversation = _about_morel(personas)
    sender = personas.cardiologist
    first_holds_the_row = threading.Event()
    let_first_commit = threading.Event()
    answers: dict[str, Any] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                answers["first"] = actions.send_message(
                    sender, conversation.pk, client_id="c-race", body="Course"
                )
                first_holds_the_row.set()
                let_first_commit.wait(10)
        finally:
            connections.close_all()

    def resend() -> None:
        try:
            answers["resend"] = actions.send_message(
                sender, conversation.pk, client_id="c-race", body="Course"
            )
        finally:
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert first_holds_the_row.wait(10)
    b = threading.Thread(target=resend)
    b.start()
    b.join(0.5)
    assert b.is_alive()  # waiting for the row the first send holds
    let_first_commit.set()
    a.join(10)
    b.join(10)
    assert answers["first"].created is True
    assert answers["resend"].created is False
    assert answers["resend"].message.pk == answers["first"].message.pk
    following = actions.send_message(sender, conversation.pk, client_id="c-next", body="Suite")
    assert following.message.seq == answers["first"].message.seq + 1  # no gap
    assert AuditEvent.objects.filter(verb="message.sent").count() == 2
