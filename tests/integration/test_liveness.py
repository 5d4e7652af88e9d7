"""Liveness: a client that goes silent (a phone in a tunnel: no close, no ping) is dropped and
seen offline by the others; connections left by a dead server process are swept and announced
offline. The periods are shortened here; their real values keep « offline within 60 s »."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from conversations import actions, liveness, presence
from conversations.models import Connection
from tests.wsclient import Socket, connect

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_the_real_periods_see_a_dead_client_offline_within_a_minute():
    worst = presence.CLIENT_SILENCE_LIMIT + presence.HEARTBEAT_SECONDS
    assert worst <= 50  # + the client's own ping period (10 s) stays under 60 s
    assert datetime.timedelta(seconds=60 - presence.HEARTBEAT_SECONDS) >= presence.STALE_AFTER


@pytest.fixture
def short_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 0.2)
    monkeypatch.setattr(presence, "CLIENT_SILENCE_LIMIT", 1.0)


async def keep_pinging(socket: Socket) -> None:
    while True:
        await socket.send({"type": "ping"})
        await asyncio.sleep(0.2)


async def test_a_silent_client_is_dropped_and_its_contacts_see_it_offline(personas, short_periods):
    await sync_to_async(actions.create_conversation)(personas.gp, users=[personas.cardiologist])
    gp = await connect(personas.gp)
    cardio = await connect(personas.cardiologist)
    assert (await gp.expect("presence"))["status"] == "online"
    pinger = asyncio.create_task(keep_pinging(gp))
    try:
        # The cardiologist's socket says nothing from now on.
        offline = await gp.expect("presence", timeout=10, user=str(personas.cardiologist.pk))
        assert offline["status"] == "offline"
        closed = await cardio.comm.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4408}
        states = await sync_to_async(presence.status_of)([personas.cardiologist.pk])
        assert states == {str(personas.cardiologist.pk): "offline"}
        # The pinging client is still there.
        assert await sync_to_async(presence.status_of)([personas.gp.pk]) == {
            str(personas.gp.pk): "online"
        }
    finally:
        pinger.cancel()
    await gp.close()
    await cardio.close()


async def test_a_ping_is_answered_and_keeps_the_connection_fresh(personas):
    gp = await connect(personas.gp)
    await sync_to_async(Connection.objects.filter(user=personas.gp).update)(
        last_seen=timezone.now() - datetime.timedelta(seconds=30)
    )
    await gp.send({"type": "ping", "ref": "p1"})
    assert (await gp.expect("pong", ref="p1"))["ref"] == "p1"
    # The process's liveness loop refreshes every socket's row at its next pass.
    await liveness.of_this_loop().run_pass()
    row = await sync_to_async(Connection.objects.get)(user=personas.gp)
    assert timezone.now() - row.last_seen < datetime.timedelta(seconds=5)
    await gp.close()


async def test_connections_of_a_dead_server_process_are_swept_and_announced_offline(
    personas, short_periods: Any
):
    await sync_to_async(actions.create_conversation)(personas.gp, users=[personas.cardiologist])
    # A socket of the cardiologist held by a process that died: its row is no longer refreshed.
    await sync_to_async(Connection.objects.create)(
        channel_name="dead-process!abc",
        user=personas.cardiologist,
        last_seen=timezone.now() - presence.STALE_AFTER - datetime.timedelta(seconds=1),
    )
    gp = await connect(personas.gp)
    pinger = asyncio.create_task(keep_pinging(gp))
    try:
        offline = await gp.expect("presence", timeout=10, user=str(personas.cardiologist.pk))
        assert offline["status"] == "offline"
        assert not await sync_to_async(
            Connection.objects.filter(channel_name="dead-process!abc").exists
        )()
    finally:
        pinger.cancel()
    await gp.close()
