"""Reads of many patients' conversations at once (the list, a sync over every conversation)
leave one audit event per conversation, written in one INSERT, with the right message counts."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from conversations import actions
from conversations.models import Conversation
from tests.wsclient import connect

pytestmark = [pytest.mark.django_db(transaction=True)]
CABINET_PATIENTS = ["LEFEBVRE", "GARNIER", "FAURE"]  # the GP's practice's demo patients


def about_patients(personas, messages: list[int]) -> list[Conversation]:
    """One conversation about each cabinet patient, with that many messages (and one without
    a patient, which no read audits)."""
    conversations = []
    for name, count in zip(CABINET_PATIENTS, messages, strict=True):
        patient = Patient.objects.get(birth_name=name)
        conversation, _ = actions.create_conversation(
            personas.gp, users=[personas.cardiologist], patient=patient
        )
        for _ in range(count):
            actions.send_message(
                personas.gp, conversation.pk, client_id=str(uuid.uuid4()), body="Bilan"
            )
        conversation.refresh_from_db()
        conversations.append(conversation)
    plain, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    actions.send_message(personas.gp, plain.pk, client_id=str(uuid.uuid4()), body="Bonjour")
    plain.refresh_from_db()
    return [*conversations, plain]


def inserts_of_audit(queries: CaptureQueriesContext) -> int:
    return sum(
        1 for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')
    )


def test_a_list_of_patient_conversations_is_audited_in_one_insert(personas):
    conversations = about_patients(personas, [1, 2, 1])
    with CaptureQueriesContext(connection) as queries:
        actions.record_conversations_shown(personas.cardiologist, conversations)
    assert inserts_of_audit(queries) == 1
    # (Creating them sent each chip in a `conversation.new` frame, audited apart.)
    shown = AuditEvent.objects.filter(
        verb="conversation.list_read", actor=personas.cardiologist
    ).exclude(data__has_key="frame")
    assert sorted(shown.values_list("object_id", flat=True)) == sorted(
        str(c.pk) for c in conversations if c.patient_id
    )
    cabinet = Patient.objects.get(birth_name="LEFEBVRE").organization_id
    assert {e.organization_id for e in shown} == {cabinet}


async def test_a_sync_over_many_conversations_audits_each_with_its_message_count(personas):
    conversations = await sync_to_async(about_patients)(personas, [3, 1, 2])
    cardio = await connect(personas.cardiologist)
    await cardio.send(
        {"type": "sync", "cursors": {str(c.pk): 0 for c in conversations}, "ref": "s"}
    )
    synced = await cardio.expect("sync", ref="s")
    assert len(synced["messages"]) == 3 + 1 + 2 + 1

    @sync_to_async
    def history_reads() -> dict[str, int]:
        events = AuditEvent.objects.filter(
            verb="conversation.history_read", actor=personas.cardiologist
        )
        return {e.object_id: e.data["messages"] for e in events}

    assert await history_reads() == {
        str(conversations[0].pk): 3,
        str(conversations[1].pk): 1,
        str(conversations[2].pk): 2,
    }
    await cardio.close()
