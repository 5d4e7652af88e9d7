"""A team (ORG) mailbox never carries clinical access to a non-clinician: the billing clerk who is
a member of the cardiology mailbox sees nothing of the conversations it takes part in, by REST or
WebSocket, and nobody's presence but through a shared conversation or team."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.accounts.models import Mailbox, Membership, Organization
from backend.demo import ORG_MAILBOX
from conversations import actions, presence
from conversations.access import participant_user_ids
from conversations.models import Attachment, Conversation, Message
from tests.conftest import assert_error
from tests.wsclient import connect

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def team_conversation(personas) -> Conversation:
    """The GP writes to the cardiologist and the cardiology team mailbox, about a patient."""
    team = Mailbox.objects.get(address=ORG_MAILBOX[0])
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], mailboxes=[team], title="Avis ECG"
    )
    actions.send_message(personas.gp, conversation.pk, client_id="first", body="ECG joint")
    return conversation


def matrix(conversation, message_id, attachment_id):
    c = conversation.pk
    return [
        ("get", "/api/conversations", None),
        ("get", f"/api/conversations/{c}", None),
        ("get", f"/api/conversations/{c}/messages", None),
        ("post", f"/api/conversations/{c}/messages", {"client_id": "x-1", "body": "intrus"}),
        ("post", f"/api/conversations/{c}/read", {"seq": 1}),
        ("patch", f"/api/conversations/{c}/messages/{message_id}", {"body": "intrus"}),
        ("delete", f"/api/conversations/{c}/messages/{message_id}", None),
        ("post", f"/api/conversations/{c}/participants", {"user": str(uuid.uuid4())}),
        ("post", f"/api/conversations/{c}/synthesis", {}),
        ("get", f"/api/attachments/{attachment_id}/download", None),
        ("get", "/api/calls/ice-servers", None),
    ]


@pytest.mark.django_db
def test_billing_member_of_the_team_gets_nothing_by_rest(personas, as_user):
    conversation = team_conversation(personas)
    gp = as_user(personas.gp)
    attachment = gp.post(
        "/api/attachments",
        {"file": SimpleUploadedFile("ecg.pdf", PDF, "application/pdf")},
        format="multipart",
    )
    assert attachment.status_code == 201, attachment.content
    attachment_id = attachment.json()["id"]
    sent = gp.post(
        f"/api/conversations/{conversation.pk}/messages",
        {"client_id": "with-file", "body": "Le tracé", "attachments": [attachment_id]},
        format="json",
    )
    assert sent.status_code in (200, 201), sent.content
    message_id = sent.json()["id"]
    before = list(Message.objects.order_by("seq").values_list("seq", "body", "deleted_at"))
    clerk = as_user(personas.billing_mailbox_member)
    for method, url, body in matrix(conversation, message_id, attachment_id):
        response = getattr(clerk, method)(url, body, format="json")
        assert response.status_code in (403, 404), (url, response.status_code, response.content)
        assert_error(response, response.status_code)
    assert list(Message.objects.order_by("seq").values_list("seq", "body", "deleted_at")) == before
    assert conversation.participants.count() == 3
    # The clinical member of the same mailbox does see it: the mailbox itself works.
    history = as_user(personas.secretary).get(f"/api/conversations/{conversation.pk}/messages")
    assert history.status_code == 200
    assert [m["body"] for m in history.json()["messages"]] == ["ECG joint", "Le tracé"]
    assert Attachment.objects.filter(pk=attachment_id).exists()


@pytest.mark.django_db
def test_only_clinical_members_of_the_mailbox_are_counted_as_participants(personas):
    conversation = team_conversation(personas)
    seen_by = participant_user_ids(conversation)
    assert personas.secretary.pk in seen_by and personas.cardiologist.pk in seen_by
    assert personas.billing_mailbox_member.pk not in seen_by


@pytest.mark.django_db
def test_a_clinical_role_elsewhere_does_not_open_the_team_of_another_organisation(
    personas, as_user
):
    """A nurse of the SSIAD who also does billing at the hospital and sits in its cardiology
    mailbox: her clinical role is not in the mailbox's organisation, so it carries nothing."""
    conversation = team_conversation(personas)
    nurse = personas.nurse.professional
    hospital = Organization.objects.get(name="CH du Mans")
    Membership.objects.create(professional=nurse, organization=hospital, role="billing")
    Mailbox.objects.get(address=ORG_MAILBOX[0]).members.add(nurse)
    client = as_user(personas.nurse)
    assert_error(client.get(f"/api/conversations/{conversation.pk}/messages"), 404)
    listed = client.get("/api/conversations").json()["results"]
    assert str(conversation.pk) not in {c["id"] for c in listed}
    assert listed == []
    assert personas.nurse.pk not in participant_user_ids(conversation)
    sendable = client.post(
        "/api/mssante/messages",
        {"from": ORG_MAILBOX[0], "to": ["x@demo.mssante.fr"], "subject": "s", "body": "b"},
        format="json",
    )
    assert sendable.status_code in (400, 404), sendable.content


@pytest.mark.django_db(transaction=True)
async def test_billing_member_of_the_team_gets_nothing_by_websocket(personas):
    conversation = await sync_to_async(team_conversation)(personas)
    clerk = await connect(personas.billing_mailbox_member)
    secretary = await connect(personas.secretary)
    gp = await connect(personas.gp)
    c = str(conversation.pk)
    await clerk.send({"type": "sync", "cursors": {c: 0}, "ref": "s1"})
    answer = await clerk.expect("sync")
    assert answer["messages"] == [] and answer.get("unknown") == [c]
    first = await sync_to_async(lambda: str(conversation.messages.get(seq=1).pk))()
    for frame in (
        {"type": "message.send", "conversation": c, "client_id": str(uuid.uuid4()), "body": "X"},
        {"type": "message.edit", "message": first, "body": "intrus"},
        {"type": "message.delete", "message": first},
        {"type": "read", "conversation": c, "seq": 1},
        {"type": "typing", "conversation": c},
        {"type": "call.invite", "conversation": c},
    ):
        await clerk.send({**frame, "ref": "r"})
        error = await clerk.expect("error")
        assert error["code"] in ("not_found", "forbidden"), (frame, error)
    sent = await gp.send_message(c, "Résultat de troponine")
    assert (await secretary.expect("message.new"))["message"]["id"] == sent["id"]
    frames = await clerk.frames_within(0.5)
    assert all(f["type"] not in ("message.new", "typing", "read") for f in frames), frames
    bodies = await sync_to_async(
        lambda: list(conversation.messages.order_by("seq").values_list("body"))
    )()
    assert bodies == [("ECG joint",), ("Résultat de troponine",)]
    for socket in (clerk, secretary, gp):
        await socket.close()


# --- Presence: only between people who share a conversation or a team ------------------------
@pytest.mark.django_db(transaction=True)
async def test_presence_query_answers_for_contacts_only(personas):
    await sync_to_async(team_conversation)(personas)
    nurse = await connect(personas.nurse)  # online, but shares nothing with the GP
    cardio = await connect(personas.cardiologist)
    gp = await connect(personas.gp)
    stranger = str(uuid.uuid4())
    await gp.send(
        {
            "type": "presence.query",
            "users": [str(personas.nurse.pk), str(personas.cardiologist.pk), stranger],
            "ref": "p",
        }
    )
    states = (await gp.expect("presence.state"))["presence"]
    assert states[str(personas.cardiologist.pk)] == "online"
    # The unrelated nurse is answered exactly as a user who does not exist.
    assert states[str(personas.nurse.pk)] == states[stranger] == "offline"
    for socket in (nurse, cardio, gp):
        await socket.close()


@pytest.mark.django_db
def test_contacts_are_conversation_partners_and_team_mates_with_a_clinical_role(personas):
    team_conversation(personas)
    gp_contacts = presence.contacts_of(personas.gp.pk)
    assert str(personas.secretary.pk) in gp_contacts  # through the team in the conversation
    assert str(personas.billing_mailbox_member.pk) not in gp_contacts
    assert presence.contacts_of(personas.billing_mailbox_member.pk) == set()
    # Team mates see each other even before any shared conversation.
    assert str(personas.cardiologist.pk) in presence.contacts_of(personas.secretary.pk)
    assert str(personas.nurse.pk) not in presence.contacts_of(personas.secretary.pk)
