"""The synthesis as a record (issue #18, item 11), through the API: the one-to-one title, edited
messages marked, the one fingerprint in the export, and the system message when it is sent."""

from __future__ import annotations

import re

import pytest

from conversations import actions
from conversations.models import Message
from tests.conftest import assert_error
from tests.integration.test_conversations_synthesis import (
    NURSE_ADDRESS,
    done_export,
    pdf_text,
    post,
)
from tests.integration.test_conversations_synthesis import (
    _media_and_eager as _media_and_eager,
)
from tests.integration.test_conversations_synthesis import frames as frames

pytestmark = pytest.mark.django_db


def one_to_one(personas):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    return conversation


def test_a_one_to_one_synthesis_is_named_after_both_and_marks_edited_messages(
    personas, as_user, django_capture_on_commit_callbacks
):
    conversation = one_to_one(personas)
    message = post(conversation, personas.gp, "Posologie : 10 mg")
    actions.edit_message(personas.gp, message.pk, "Posologie : 5 mg")
    post(conversation, personas.cardiologist, "Bien noté 👍")
    export = done_export(personas, as_user, django_capture_on_commit_callbacks, conversation)
    _, _, pages = pdf_text(as_user(personas.gp), export.pk)
    text = re.sub(r"\s+", " ", "\n".join(pages))
    assert "Échanges entre Dr Claire Martin et Dr Paul Bernard" in text
    assert re.search(r"Dr Claire Martin — \d\d/\d\d/\d{4} \d\d:\d\d \(modifié le ", text)
    assert "Posologie : 5 mg" in text and "10 mg" not in text
    assert "Bien noté 👍" in text
    detail = as_user(personas.gp).get(f"/api/exports/{export.pk}").json()
    assert detail["content_sha256"] == export.content_sha256
    assert f"Empreinte SHA-256 du contenu des messages : {export.content_sha256}" in text


def test_sending_a_synthesis_by_mssante_leaves_a_system_message_seen_live(
    personas,
    as_user,
    django_capture_on_commit_callbacks,
    frames,
):
    conversation = one_to_one(personas)
    export = done_export(personas, as_user, django_capture_on_commit_callbacks, conversation)
    before = conversation.messages.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(personas.gp).post(
            f"/api/exports/{export.pk}/send", {"recipients": [NURSE_ADDRESS]}, format="json"
        )
    assert response.status_code == 202, response.content
    system = Message.objects.filter(conversation=conversation, kind=Message.Kind.SYSTEM).last()
    assert conversation.messages.count() == before + 1 and system is not None
    assert system.body == (
        f"Dr Claire Martin a envoyé la synthèse {export.document_id} par MSSanté à {NURSE_ADDRESS}."
    )
    delivered = [
        (set(users), f["message"]["body"]) for users, f in frames if f["type"] == "message.new"
    ]
    participants = {str(personas.gp.pk), str(personas.cardiologist.pk)}
    assert (participants, system.body) in delivered


def test_a_refused_send_leaves_no_system_message(
    personas, as_user, django_capture_on_commit_callbacks
):
    conversation = one_to_one(personas)
    export = done_export(personas, as_user, django_capture_on_commit_callbacks, conversation)
    before = conversation.messages.count()
    response = as_user(personas.gp).post(
        f"/api/exports/{export.pk}/send", {"recipients": ["x@gmail.com"]}, format="json"
    )
    assert_error(response, 400)
    assert conversation.messages.count() == before


def test_replies_forwards_and_urgent_acknowledgements_are_on_the_record(
    personas, as_user, django_capture_on_commit_callbacks
):
    from conversations import urgent
    from conversations.message_options import SendOptions

    conversation = one_to_one(personas)
    asked = post(conversation, personas.gp, "Pouvez-vous passer ?")
    actions.send_message(
        personas.cardiologist,
        conversation.pk,
        client_id="rec-reply-01",
        body="Oui",
        options=SendOptions(reply_to=asked.pk),
    )
    alarm = actions.send_message(
        personas.gp,
        conversation.pk,
        client_id="rec-urgent-01",
        body="Urgent : troponine",
        options=SendOptions(urgent=True),
    ).message
    urgent.acknowledge_message(personas.cardiologist, alarm.pk)
    export = done_export(personas, as_user, django_capture_on_commit_callbacks, conversation)
    _, _, pages = pdf_text(as_user(personas.gp), export.pk)
    text = re.sub(r"\s+", " ", "\n".join(pages))
    assert f"— réponse au n° {asked.seq}" in text
    assert re.search(r"— urgent, pris en compte par Dr Paul Bernard le \d\d/\d\d/\d{4} à", text)
