"""Calls that cannot ring forever: nobody connected on the other side ends the call at once, and
an unanswered call ends after the ring time without any Celery worker (the embedded mode)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from backend.audit.models import AuditEvent
from conversations.models import Call

# As in the embedded mode, no worker runs the delayed expiry task (the eager mode ignores it).
from tests.integration.test_calls_ws import _eager_tasks, open_conversation, system_messages
from tests.wsclient import connect

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(_eager_tasks.__name__),
]


@sync_to_async
def call_verbs(call_id: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=call_id).order_by("pk").values_list("verb", flat=True)
    )


async def test_calling_someone_not_connected_says_so_at_once_and_leaves_a_missed_call(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp = await connect(personas.gp)  # the cardiologist has no socket open
    await gp.send({"type": "call.invite", "conversation": str(conversation.pk), "ref": "inv"})
    ringing = await gp.expect("call.ringing", ref="inv")
    assert ringing["unreachable"] is True
    assert ringing["call"]["state"] == "missed" and ringing["call"]["answered_at"] is None
    assert await system_messages(conversation) == ["Appel manqué"]
    assert await call_verbs(ringing["call"]["id"]) == ["call.started", "call.ended"]
    # The cardiologist finds the missed call when they come back.
    cardio = await connect(personas.cardiologist)
    await cardio.send({"type": "sync", "cursors": {str(conversation.pk): 0}, "ref": "s"})
    synced = await cardio.expect("sync", ref="s")
    assert [m["body"] for m in synced["messages"]] == ["Appel manqué"]
    await gp.close()
    await cardio.close()


async def test_a_connected_callee_is_rung_and_the_answer_says_reachable(personas):
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    await gp.send({"type": "call.invite", "conversation": str(conversation.pk), "ref": "inv"})
    ringing = await gp.expect("call.ringing", ref="inv")
    assert ringing["unreachable"] is False and ringing["call"]["state"] == "ringing"
    assert (await cardio.expect("call.invite"))["call"]["id"] == ringing["call"]["id"]
    assert await system_messages(conversation) == []
    await gp.close()
    await cardio.close()


async def test_an_unanswered_call_ends_after_the_ring_time_with_no_worker(personas, settings):
    settings.CALL_RING_SECONDS = 0  # the caller's socket waits ring time + 1 s
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    await gp.send({"type": "call.invite", "conversation": str(conversation.pk), "ref": "inv"})
    call = (await gp.expect("call.ringing", ref="inv"))["call"]
    await cardio.expect("call.invite")
    # Nobody touches the call: the expiry comes by itself, to both sides.
    for socket in (gp, cardio):
        ended = await socket.expect("call.ended", timeout=10)
        assert ended["call"]["id"] == call["id"] and ended["call"]["state"] == "missed"
    assert (await cardio.expect("message.new"))["message"]["body"] == "Appel manqué"
    stored = await sync_to_async(Call.objects.get)(pk=call["id"])
    assert stored.state == Call.State.MISSED and stored.answered_at is None
    assert await system_messages(conversation) == ["Appel manqué"]
    await gp.close()
    await cardio.close()
