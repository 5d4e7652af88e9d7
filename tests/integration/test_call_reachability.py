"""Calls that cannot ring forever: nobody connected on the other side ends the call at once, and
an unanswered call ends after the ring time without any Celery worker (the embedded mode)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from backend.audit.models import AuditEvent
from conversations.calls import lifecycle
from conversations.calls.tasks import expire_unanswered_call
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


@pytest.mark.postgres  # row locks: SQLite serialises the whole database instead
async def test_the_socket_timer_and_the_worker_ending_one_call_together_leave_one_missed_call(
    personas, settings
):
    """Where a worker runs, an unanswered call has two expiries: the caller's socket timer and
    the Celery countdown (the one that remains if the caller's server dies). Both run the same
    idempotent step under the call's row lock: racing, one ends the call, the other finds it
    ended and does nothing."""
    settings.CALL_RING_SECONDS = 3600  # the socket timer stays out of the way: the test races
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    await gp.send({"type": "call.invite", "conversation": str(conversation.pk), "ref": "inv"})
    call = (await gp.expect("call.ringing", ref="inv"))["call"]
    await cardio.expect("call.invite")
    settings.CALL_RING_SECONDS = 0  # now overdue for both paths
    start = threading.Barrier(4)

    def expiry(run: Callable[[str], bool]) -> bool:
        start.wait(timeout=10)  # all four at once, each on its own thread and connection
        try:
            return run(call["id"])
        finally:
            connection.close()

    socket_timer: Callable[[str], bool] = lifecycle.expire_if_unanswered  # consumer's run_later
    worker: Callable[[str], bool] = expire_unanswered_call  # the Celery task
    racers = [socket_timer, worker, socket_timer, worker]
    ended = await asyncio.gather(
        *(sync_to_async(expiry, thread_sensitive=False)(run) for run in racers)
    )
    assert sorted(ended) == [False, False, False, True]
    assert await system_messages(conversation) == ["Appel manqué"]
    assert await call_verbs(call["id"]) == ["call.started", "call.ended"]
    for socket in (gp, cardio):
        assert (await socket.expect("call.ended"))["call"]["state"] == "missed"
        later = await socket.frames_within(0.5)
        assert [f for f in later if f["type"] == "call.ended"] == [], later
    await gp.close()
    await cardio.close()
