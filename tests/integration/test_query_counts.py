"""Issue #21: the conversation list, a history page and a message send cost a fixed number of
queries, whatever the amount of data behind them (behaviour, not timing: the query log)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import Mailbox
from backend.patients.models import Patient
from conversations import actions

pytestmark = pytest.mark.django_db

LIST_QUERIES = 24
HISTORY_QUERIES = 16
SEND_QUERIES = 8  # the action: see conversations/sending.py for each statement
SEND_HTTP_QUERIES = 22  # the same through REST (session, user, access, DRF)


def _group(personas, n, patient=None, team=None):
    conversation, _ = actions.create_conversation(
        personas.gp,
        users=[personas.cardiologist, personas.dermatologist],
        mailboxes=[team] if team else [],
        title=f"Groupe {n}",
        patient=patient,
    )
    for sender in (personas.gp, personas.cardiologist):
        actions.send_message(sender, conversation.pk, client_id=f"c-{uuid.uuid4()}", body="Bonjour")
    return conversation


def _queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def test_the_conversation_list_costs_the_same_for_3_and_30_conversations(
    personas, as_user, django_assert_max_num_queries
):
    patient = Patient.objects.get(birth_name="LEFEBVRE")
    team = Mailbox.objects.get(kind="ORG")
    gp = as_user(personas.gp)
    for n in range(3):
        _group(personas, n, patient=patient if n % 2 else None, team=team if n == 2 else None)
    few, body = _queries(gp, "/api/conversations")
    assert len(body["results"]) == 3
    for n in range(3, 30):
        _group(personas, n, patient=patient if n % 2 else None, team=team if n % 5 == 0 else None)
    with django_assert_max_num_queries(min(few, LIST_QUERIES)):
        response = gp.get("/api/conversations")
    assert len(response.json()["results"]) == 30
    assert all(c["last_message"]["body"] == "Bonjour" for c in response.json()["results"])


def test_a_history_page_costs_the_same_for_5_and_50_messages(
    personas, as_user, django_assert_max_num_queries
):
    team = Mailbox.objects.get(kind="ORG")
    conversation = _group(personas, 0, team=team)
    senders = [personas.gp, personas.cardiologist, personas.dermatologist, personas.secretary]
    cardio = as_user(personas.cardiologist)
    path = f"/api/conversations/{conversation.pk}/messages?limit=50"
    for n in range(3):
        actions.send_message(senders[n], conversation.pk, client_id=f"h-{n}-xxxxxx", body="Texte")
    few, body = _queries(cardio, path)
    assert len(body["messages"]) == 5
    for n in range(3, 48):
        actions.send_message(
            senders[n % 4], conversation.pk, client_id=f"h-{n}-xxxxxx", body="Texte"
        )
    with django_assert_max_num_queries(min(few, HISTORY_QUERIES)):
        response = cardio.get(path)
    page = response.json()["messages"]
    assert len(page) == 50
    # A secretary writes for the team: her messages say so, in a page of fixed cost.
    assert any(m["team"] for m in page if m["sender"]["id"] == str(personas.secretary.pk))


def test_a_send_costs_the_same_in_a_new_and_a_long_conversation(
    personas, as_user, django_assert_max_num_queries
):
    conversation = _group(personas, 0)
    with django_assert_max_num_queries(SEND_QUERIES):
        first = actions.send_message(
            personas.gp, conversation.pk, client_id="s-first-xxx", body="Un"
        )
    assert first.created and first.message.seq == 3
    for n in range(60):
        actions.send_message(
            personas.cardiologist, conversation.pk, client_id=f"s-{n}-xxxxxx", body="."
        )
    with django_assert_max_num_queries(SEND_QUERIES):
        last = actions.send_message(
            personas.gp, conversation.pk, client_id="s-last-xxxx", body="Deux"
        )
    assert last.message.seq == 64 and last.payload is not None
    sender = last.payload["sender"]
    assert sender is not None and sender["id"] == str(personas.gp.pk)
    gp = as_user(personas.gp)
    with django_assert_max_num_queries(SEND_HTTP_QUERIES):
        response = gp.post(
            f"/api/conversations/{conversation.pk}/messages",
            {"client_id": "s-http-xxxx", "body": "Trois"},
            format="json",
        )
    assert response.status_code == 201 and response.json()["seq"] == 65
