"""Calls that cannot ring forever: nobody connected on the other side ends the call at once, and
an unanswered call ends after the ring time by one timer: the Celery countdown task scheduled at
invite time where the channel layer is shared (Redis), the caller's socket in the embedded mode
(in-memory layer). An action about the call past the ring time ends it too, idempotently."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from backend.audit.models import AuditEvent
from conversations.calls import actions as calls
from conversations.calls import lifecycle, signalling
from conversations.calls.tasks import expire_unanswered_call
from conversations.models import Call

# Eager tasks: the invite schedules no countdown here, the tests run the task themselves.
from tests.integration.test_calls_ws import _eager_tasks, open_conversation, system_messages
from tests.wsclient import connect

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures(_eager_tasks.__name__),
]


def expiry_owned_by_socket(monkeypatch: pytest.MonkeyPatch, owned: bool) -> None:
    for module in (lifecycle, signalling):
        monkeypatch.setattr(module, "socket_owns_expiry", lambda: owned)


@sync_to_async
def call_verbs(call_id: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=call_id).order_by("pk").values_list("verb", flat=True)
    )


async def gp_rings_cardiologist(personas: Any) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Both connected and the GP's invite rung at the cardiologist."""
    conversation = await open_conversation(personas.gp, personas.cardiologist)
    gp, cardio = await connect(personas.gp), await connect(personas.cardiologist)
    await gp.send({"type": "call.invite", "conversation": str(conversation.pk), "ref": "inv"})
    call = (await gp.expect("call.ringing", ref="inv"))["call"]
    await cardio.expect("call.invite")
    return conversation, gp, cardio, call


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


async def test_with_a_shared_channel_layer_the_invite_schedules_the_expiry_task(
    personas, settings, monkeypatch
):
    settings.CALL_RING_SECONDS = 45
    expiry_owned_by_socket(monkeypatch, False)
    scheduled: list[tuple[tuple[str, ...], int]] = []
    # As with a worker (the eager_tasks fixture puts the setting back afterwards).
    expire_unanswered_call.app.conf.task_always_eager = False
    monkeypatch.setattr(
        expire_unanswered_call,
        "apply_async",
        lambda args, countdown: scheduled.append((args, countdown)),
    )
    _, gp, cardio, call = await gp_rings_cardiologist(personas)
    assert scheduled == [((call["id"],), 46)]
    await gp.close()
    await cardio.close()


async def test_with_a_shared_channel_layer_the_worker_task_ends_the_call_not_the_socket(
    personas, settings, monkeypatch
):
    settings.CALL_RING_SECONDS = 0  # overdue at once; only the task (run here by hand) ends it
    expiry_owned_by_socket(monkeypatch, False)
    conversation, gp, cardio, call = await gp_rings_cardiologist(personas)
    # The sockets keep no timer of their own (the old one fired at ring time + 1 s).
    quiet = [f for f in await gp.frames_within(1.5) if f["type"].startswith("call.")]
    assert quiet == []
    assert (await sync_to_async(Call.objects.get)(pk=call["id"])).state == Call.State.RINGING
    assert await sync_to_async(expire_unanswered_call)(call["id"]) is True
    for socket in (gp, cardio):
        ended = await socket.expect("call.ended", timeout=10)
        assert ended["call"]["id"] == call["id"] and ended["call"]["state"] == "missed"
    assert (await cardio.expect("message.new"))["message"]["body"] == "Appel manqué"
    stored = await sync_to_async(Call.objects.get)(pk=call["id"])
    assert stored.state == Call.State.MISSED and stored.answered_at is None
    assert await system_messages(conversation) == ["Appel manqué"]
    await gp.close()
    await cardio.close()


async def test_in_the_embedded_mode_the_caller_socket_ends_the_call_and_nothing_is_queued(
    personas, settings, monkeypatch
):
    settings.CALL_RING_SECONDS = 0  # the caller's socket waits ring time + 1 s
    expiry_owned_by_socket(monkeypatch, True)
    queued: list[object] = []
    expire_unanswered_call.app.conf.task_always_eager = False  # put back by the fixture
    monkeypatch.setattr(expire_unanswered_call, "apply_async", lambda *a, **k: queued.append(a))
    conversation, gp, cardio, call = await gp_rings_cardiologist(personas)
    for socket in (gp, cardio):
        ended = await socket.expect("call.ended", timeout=10)
        assert ended["call"]["id"] == call["id"] and ended["call"]["state"] == "missed"
    assert queued == []
    assert await system_messages(conversation) == ["Appel manqué"]
    await gp.close()
    await cardio.close()


async def test_a_missed_call_is_recorded_once_whatever_ends_it_again(
    personas, settings, monkeypatch
):
    """The task redelivered (acks_late), then a late answer and a call log read: one missed
    call, one « Appel manqué », one `call.ended` audit event and frame."""
    settings.CALL_RING_SECONDS = 0
    expiry_owned_by_socket(monkeypatch, False)
    conversation, gp, cardio, call = await gp_rings_cardiologist(personas)
    task = sync_to_async(expire_unanswered_call)
    assert [await task(call["id"]), await task(call["id"])] == [True, False]
    await cardio.send({"type": "call.accept", "call": call["id"], "ref": "late"})
    assert (await cardio.expect("error", ref="late"))["code"] == "call_ended"
    log = await sync_to_async(calls.call_log)(personas.gp, conversation.pk)
    assert [c["state"] for c in log] == ["missed"]
    assert await system_messages(conversation) == ["Appel manqué"]
    assert await call_verbs(call["id"]) == ["call.started", "call.ended"]
    later = await gp.frames_within(0.5)
    assert [f["type"] for f in later if f["type"] == "call.ended"] == ["call.ended"], later
    await gp.close()
    await cardio.close()


@pytest.mark.postgres  # row locks: SQLite serialises the whole database instead
async def test_the_worker_and_a_late_action_ending_one_call_together_leave_one_missed_call(
    personas, settings
):
    """An unanswered call has one timer, the Celery countdown, but an action about the call
    (a late answer, a signal, the call log) checks the ring time first. Both run the same
    idempotent step under the call's row lock: racing, one ends the call, the others find it
    ended and do nothing."""
    settings.CALL_RING_SECONDS = 3600  # not overdue while the call is set up
    conversation, gp, cardio, call = await gp_rings_cardiologist(personas)
    settings.CALL_RING_SECONDS = 0  # now overdue for both paths
    start = threading.Barrier(4)

    def expiry(run: Callable[[str], bool]) -> bool:
        start.wait(timeout=10)  # all four at once, each on its own thread and connection
        try:
            return run(call["id"])
        finally:
            connection.close()

    late_action: Callable[[str], bool] = lifecycle.expire_if_unanswered  # what accept etc. run
    worker: Callable[[str], bool] = expire_unanswered_call  # the Celery task
    racers = [late_action, worker, late_action, worker]
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
