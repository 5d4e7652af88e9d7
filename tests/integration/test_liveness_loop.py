"""The process's one liveness loop (conversations/liveness.py): what a pass does to the sockets
of the process, driven pass by pass (its timing is the real periods', tested elsewhere)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.accounts import sessions
from conversations import actions, liveness, presence
from conversations.models import Connection
from tests.wsclient import Socket, connect

pytestmark = [pytest.mark.django_db(transaction=True)]


def signed_in(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return str(client.cookies["sessionid"].value)


def sockets_of(user: Any) -> list[Any]:
    return [s for s in liveness.of_this_loop().sockets.values() if s.user_id == user.pk]


async def closed(socket: Socket) -> tuple[list[dict[str, Any]], int]:
    """The frames received until the close, and its code."""
    seen: list[dict[str, Any]] = []
    while True:
        output = await socket.comm.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return seen, output["code"]
        seen.append(json.loads(output["text"]))


async def test_a_pass_drops_a_silent_socket_and_its_contacts_see_it_offline(personas):
    await sync_to_async(actions.create_conversation)(personas.gp, users=[personas.cardiologist])
    gp = await connect(personas.gp)
    cardio = await connect(personas.cardiologist)
    assert (await gp.expect("presence"))["status"] == "online"
    (silent,) = sockets_of(personas.cardiologist)
    silent.last_heard -= presence.CLIENT_SILENCE_LIMIT + 1
    await liveness.of_this_loop().run_pass()
    assert (await cardio.comm.receive_output(timeout=5))["code"] == 4408
    offline = await gp.expect("presence", user=str(personas.cardiologist.pk))
    assert offline["status"] == "offline"
    # The socket heard from stays, and is no longer the silent one's company in the loop.
    assert await gp.nothing()
    assert sockets_of(personas.cardiologist) == []
    assert len(sockets_of(personas.gp)) == 1
    await gp.close()
    await cardio.close()


async def test_a_ping_is_only_stamped_and_the_pass_refreshes_the_row(personas):
    gp = await connect(personas.gp)
    (socket,) = sockets_of(personas.gp)
    await sync_to_async(Connection.objects.filter(user=personas.gp).update)(
        last_seen=timezone.now() - datetime.timedelta(seconds=30)
    )
    socket.last_heard -= 20
    before = socket.last_heard
    await gp.send({"type": "ping", "ref": "p1"})
    assert (await gp.expect("pong", ref="p1"))["ref"] == "p1"
    assert socket.last_heard > before
    await liveness.of_this_loop().run_pass()
    row = await sync_to_async(Connection.objects.get)(user=personas.gp)
    assert timezone.now() - row.last_seen < datetime.timedelta(seconds=5)
    assert await gp.nothing()  # still open
    await gp.close()


async def test_a_session_revoked_unnoticed_closes_all_its_sockets_at_the_next_pass(
    personas, monkeypatch
):
    tab1, tab2 = await connect(personas.gp), await connect(personas.gp)
    other = await connect(personas.cardiologist)
    # The close event is lost (another process, a channel-layer hiccup): the pass holds.
    monkeypatch.setattr(sessions, "_close_sockets", lambda *a, **k: None)
    await sync_to_async(sessions.end_user_sessions)(personas.gp, sessions.DEACTIVATED)
    await tab1.send({"type": "ping", "ref": "p"})
    await tab1.expect("pong")  # a ping does not query the session: the pass does
    await liveness.of_this_loop().run_pass()
    for tab in (tab1, tab2):
        seen, code = await closed(tab)
        assert code == sessions.CLOSE_SESSION_ENDED
        assert [f["reason"] for f in seen if f["type"] == "session.ended"] == [sessions.ENDED]
    assert await other.nothing()
    await other.close()


@pytest.mark.parametrize("end", ["deleted", "expired"])
async def test_a_session_deleted_or_expired_closes_its_socket_at_the_next_pass(personas, end):
    tab = await connect(personas.gp)
    (socket,) = sockets_of(personas.gp)
    row = Session.objects.filter(session_key=socket.session_key)
    if end == "deleted":
        await sync_to_async(row.delete)()
    else:
        past = timezone.now() - datetime.timedelta(seconds=1)
        await sync_to_async(row.update)(expire_date=past)
    await liveness.of_this_loop().run_pass()
    _, code = await closed(tab)
    assert code == sessions.CLOSE_SESSION_ENDED


def test_one_pass_costs_the_same_statements_for_3_and_for_60_sockets(personas):
    users = [personas.gp, personas.cardiologist, personas.nurse]

    def sockets(count: int) -> list[tuple[str, str | None, Any, float | None]]:
        rows: list[tuple[str, str | None, Any, float | None]] = []
        for n in range(count):
            user = users[n % len(users)]
            key = keys[user.pk]
            name = f"specific.test!{count}-{n}"
            Connection.objects.create(
                channel_name=name, user=user, last_seen=timezone.now() - datetime.timedelta(30)
            )
            rows.append((name, key, user.pk, timezone.now().timestamp()))
        return rows

    keys = {user.pk: signed_in(user) for user in users}
    counts = []
    for count in (3, 60):
        entries = sockets(count)
        with CaptureQueriesContext(connection) as queries:
            alive, offline = liveness.refresh(entries, sweep=True)
        counts.append(len(queries))
        assert alive == {name for name, *_ in entries}
        assert offline == []
        stale = Connection.objects.filter(
            channel_name__in=[name for name, *_ in entries],
            last_seen__lt=timezone.now() - datetime.timedelta(seconds=5),
        )
        assert not stale.exists()
    assert counts[0] == counts[1] <= 6, counts


def test_an_expired_session_is_over_for_the_frame_check_too(personas):
    key = signed_in(personas.gp)
    at = timezone.now().timestamp() - 1
    assert sessions.session_is_alive(key, personas.gp.pk, at)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    assert not sessions.session_is_alive(key, personas.gp.pk, at)
    assert sessions.alive_sessions([(key, personas.gp.pk, at)]) == set()
