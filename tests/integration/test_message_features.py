"""Replies, forwards and urgent messages (issue 18, item 8), through the API and the actions."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.mssante.models import OutboundMessage
from conversations import actions, events, urgent
from conversations.message_options import SendOptions
from conversations.models import Message
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
NURSE_ADDRESS = "julie.durand@demo.mssante.fr"


@pytest.fixture
def frames(monkeypatch):
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(
        events, "_dispatch", lambda users, frame, origin: sent.append((users, frame))
    )
    return sent


def talk(personas, *others, title=""):
    conversation, _ = actions.create_conversation(
        personas.gp, users=list(others) or [personas.cardiologist], title=title
    )
    return conversation


def send(user, conversation, body, **options):
    return actions.send_message(
        user,
        conversation.pk,
        client_id=str(uuid.uuid4()),
        body=body,
        options=SendOptions(**options),
    ).message


def test_a_reply_quotes_its_original_and_a_deleted_original_shows_as_deleted(personas, as_user):
    conversation = talk(personas)
    original = send(personas.gp, conversation, "Pouvez-vous voir Mme L. demain ?")
    client = as_user(personas.cardiologist)
    response = client.post(
        f"/api/conversations/{conversation.pk}/messages",
        {"client_id": "reply-000001", "body": "Oui, à 10 h", "reply_to": str(original.pk)},
        format="json",
    )
    assert response.status_code == 201, response.content
    quote = response.json()["reply_to"]
    assert quote == {
        "id": str(original.pk),
        "seq": original.seq,
        "sender_name": "Dr Claire Martin",
        "excerpt": "Pouvez-vous voir Mme L. demain ?",
        "deleted": False,
    }
    actions.delete_message(personas.gp, original.pk)
    page = client.get(f"/api/conversations/{conversation.pk}/messages").json()["messages"]
    reply = next(m for m in page if m["body"] == "Oui, à 10 h")
    assert reply["reply_to"]["deleted"] is True and reply["reply_to"]["excerpt"] == ""


def test_a_reply_to_a_message_of_another_conversation_is_refused(personas, as_user):
    conversation, elsewhere = talk(personas), talk(personas, title="Autre")
    foreign = send(personas.gp, elsewhere, "Ailleurs")
    before = Message.objects.count()
    response = as_user(personas.gp).post(
        f"/api/conversations/{conversation.pk}/messages",
        {"client_id": "reply-000002", "body": "Non", "reply_to": str(foreign.pk)},
        format="json",
    )
    assert assert_error(response, 400)["code"] == "reply_invalid"
    assert Message.objects.count() == before


def test_forwarding_to_a_conversation_of_ones_own_copies_it_marked_forwarded(personas, as_user):
    source, target = talk(personas), talk(personas, personas.nurse)
    original = send(personas.cardiologist, source, "ECG normal")
    client = as_user(personas.gp)
    url = f"/api/conversations/{source.pk}/messages/{original.pk}/forward"
    response = client.post(url, {"conversation": str(target.pk), "client_id": "fwd-000001"})
    assert response.status_code == 201, response.content
    copy = response.json()
    assert copy["forwarded"] is True and copy["body"] == "ECG normal"
    assert copy["conversation"] == str(target.pk) and copy["sender"]["id"] == str(personas.gp.pk)
    again = client.post(url, {"conversation": str(target.pk), "client_id": "fwd-000001"})
    assert again.status_code == 200 and again.json()["id"] == copy["id"]  # once per client_id
    event = AuditEvent.objects.get(verb="message.forwarded")
    assert event.data["to_conversation"] == str(target.pk)


def test_forwarding_to_a_conversation_one_does_not_take_part_in_is_not_found(personas, as_user):
    source = talk(personas)
    theirs, _ = actions.create_conversation(personas.nurse, users=[personas.coordinator])
    original = send(personas.gp, source, "Secret médical")
    before = Message.objects.count()
    response = as_user(personas.gp).post(
        f"/api/conversations/{source.pk}/messages/{original.pk}/forward",
        {"conversation": str(theirs.pk), "client_id": "fwd-000002"},
    )
    assert_error(response, 404)
    assert Message.objects.count() == before


def test_forwarding_by_mssante_goes_to_directory_addresses_inside_the_trust_space_only(
    personas, as_user, frames
):
    conversation = talk(personas)
    original = send(personas.cardiologist, conversation, "Avis : majorer le diurétique")
    client = as_user(personas.gp)
    url = f"/api/conversations/{conversation.pk}/messages/{original.pk}/forward-mssante"
    for recipients, code in (
        (["docteur.x@gmail.com"], "recipient_not_in_directory"),
        (["inconnu@demo.mssante.fr"], "recipient_not_in_directory"),
        (["285037728417346@patient.mssante.fr"], "patient_address_in_recipients"),
    ):
        response = client.post(url, {"recipients": recipients}, format="json")
        assert assert_error(response, 400)["code"] == code, recipients
    assert OutboundMessage.objects.count() == 0
    response = client.post(url, {"recipients": [NURSE_ADDRESS]}, format="json")
    assert response.status_code == 202, response.content
    outbound = OutboundMessage.objects.get(pk=response.json()["id"])
    assert [r.address for r in outbound.recipients.all()] == [NURSE_ADDRESS]
    assert b"majorer le diur" in bytes(outbound.mime) or "majorer" in bytes(outbound.mime).decode(
        "utf-8", "replace"
    )
    system = Message.objects.filter(conversation=conversation, kind="system").last()
    assert system is not None and system.body == (
        f"Dr Claire Martin a transféré le message n° {original.seq} par MSSanté à {NURSE_ADDRESS}."
    )


def test_an_urgent_message_is_acknowledged_by_each_recipient_and_the_sender_sees_who_and_when(
    personas, as_user, frames, django_capture_on_commit_callbacks
):
    group = talk(personas, personas.cardiologist, personas.nurse, title="Garde")
    message = send(personas.gp, group, "Patient instable, rappelez", urgent=True)
    url = f"/api/conversations/{group.pk}/messages/{message.pk}/acknowledge"
    for user in (personas.cardiologist, personas.nurse):
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(user).post(url)
        assert response.status_code == 200, response.content
        assert response.json()["created"] is True
    with django_capture_on_commit_callbacks(execute=True):
        again = as_user(personas.nurse).post(url)
    assert again.json()["created"] is False
    page = as_user(personas.gp).get(f"/api/conversations/{group.pk}/messages").json()
    urgent_json = next(m for m in page["messages"] if m["id"] == str(message.pk))
    assert urgent_json["urgent"] is True
    assert [a["user"]["id"] for a in urgent_json["acknowledgements"]] == [
        str(personas.cardiologist.pk),
        str(personas.nurse.pk),
    ]
    live = [f for users, f in frames if f["type"] == "message.acknowledged"]
    assert len(live) == 2  # the second press of the nurse sent nothing
    assert AuditEvent.objects.filter(verb="message.acknowledged").count() == 2


def test_the_reminder_goes_once_to_those_who_have_not_acknowledged(
    personas, frames, settings, django_capture_on_commit_callbacks
):
    settings.URGENT_REMINDER_SECONDS = 60
    group = talk(personas, personas.cardiologist, personas.nurse, title="Garde")
    message = send(personas.gp, group, "Urgent", urgent=True)
    urgent.acknowledge_message(personas.cardiologist, message.pk)
    frames.clear()
    assert urgent.remind_overdue() == 0  # not due yet
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=61)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert urgent.remind_overdue() == 1
        assert urgent.remind(message.pk) == 0  # the countdown task arriving later: no twice
    reminders = [(users, f) for users, f in frames if f["type"] == "message.reminder"]
    assert [users for users, _ in reminders] == [[str(personas.nurse.pk)]]
    assert AuditEvent.objects.filter(verb="message.urgent_reminded").count() == 1


def test_the_server_counts_who_still_has_to_acknowledge_team_mailbox_members_included(
    personas, as_user, frames, django_capture_on_commit_callbacks
):
    from backend.accounts.access import clinical_member_user_ids
    from backend.accounts.models import Mailbox

    team = Mailbox.objects.get(address__startswith="secretariat.cardiologie@")
    members = clinical_member_user_ids([team.pk]) - {personas.gp.pk}
    assert members  # the team's clinicians, whom the client does not list
    group, _ = actions.create_conversation(
        personas.gp, users=[personas.nurse], mailboxes=[team], title="Garde"
    )
    expected = len(members | {personas.nurse.pk})
    send(personas.gp, group, "Bonjour")
    with django_capture_on_commit_callbacks(execute=True):
        message = send(personas.gp, group, "Patient instable, rappelez", urgent=True)
    sent = next(f for _, f in frames if f["type"] == "message.new")
    assert sent["message"]["pending_acknowledgements"] == expected
    with django_capture_on_commit_callbacks(execute=True):
        urgent.acknowledge_message(personas.nurse, message.pk)
    acked = next(f for _, f in frames if f["type"] == "message.acknowledged")
    assert acked["pending"] == expected - 1
    page = as_user(personas.gp).get(f"/api/conversations/{group.pk}/messages").json()
    shown = next(m for m in page["messages"] if m["id"] == str(message.pk))
    assert shown["pending_acknowledgements"] == expected - 1
    plain = next(m for m in page["messages"] if not m.get("urgent"))
    assert "pending_acknowledgements" not in plain
