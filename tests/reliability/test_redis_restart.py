"""Redis restart: Redis carries only the fan-out between server processes, the database is the
source of truth. When Redis dies and comes back, clients (reconnecting if their socket dropped)
catch up with `sync` and nothing acknowledged is lost; live delivery between processes resumes.

The test runs its own redis-server on a free port (the shared one serves other tests)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from conversations import actions
from conversations.models import Message
from tests.reliability.redis_server import RedisServer
from tests.reliability.resend_client import Outbox, deliver_all, next_of, reconnect, sync_after
from tests.servers import Daphne
from tests.wsclient import session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]


@dataclass
class Stage:
    redis: RedisServer
    first: Daphne  # the GP's server
    second: Daphne  # the cardiologist's server
    conversation: str
    gp_cookie: str
    cardio_cookie: str


@pytest.fixture
async def stage(personas) -> AsyncIterator[Stage]:
    conversation, _ = await sync_to_async(actions.create_conversation)(
        personas.gp, users=[personas.cardiologist]
    )
    redis = await asyncio.to_thread(RedisServer().start)
    env = {"REDIS_URL": redis.url, "CHANNEL_LAYER_PREFIX": f"rel{redis.port}"}
    first, second = Daphne(None, **env), Daphne(None, **env)
    try:
        await asyncio.gather(asyncio.to_thread(first.start), asyncio.to_thread(second.start))
        yield Stage(
            redis,
            first,
            second,
            str(conversation.pk),
            await session_cookie(personas.gp),
            await session_cookie(personas.cardiologist),
        )
    finally:
        for server in (first, second):
            server.kill()
        redis.kill()


async def restart_redis(stage: Stage) -> None:
    await asyncio.to_thread(stage.redis.kill)
    await asyncio.sleep(0.5)
    stage.redis = await asyncio.to_thread(RedisServer(port=stage.redis.port).start)


async def send(stage: Stage, outbox: Outbox, socket: ClientConnection | None, body: str):
    client_id = f"rel-{uuid.uuid4()}"
    outbox.add(client_id, body)
    socket = await asyncio.wait_for(
        deliver_all(stage.first.ws_url, stage.first.base, stage.gp_cookie, outbox, socket=socket),
        timeout=60,
    )
    return socket, client_id


async def usable(socket: ClientConnection, url: str, origin: str, cookie: str):
    """The same socket if it still answers a ping, else a new one."""
    with contextlib.suppress(ConnectionClosed, TimeoutError):
        await socket.send(json.dumps({"type": "ping", "ref": "alive"}))
        await next_of(socket, "pong", timeout=5, ref="alive")
        return socket
    socket, _ = await reconnect(url, origin, cookie)
    return socket


@sync_to_async
def stored_client_ids(conversation: str) -> list[str]:
    return list(
        Message.objects.filter(conversation_id=conversation)
        .order_by("seq")
        .values_list("client_id", flat=True)
    )


async def test_after_a_redis_restart_clients_catch_up_and_nothing_acknowledged_is_lost(stage):
    gp_box = Outbox(stage.conversation)
    cardio, _ = await reconnect(stage.second.ws_url, stage.second.base, stage.cardio_cookie)
    gp, first_id = await send(stage, gp_box, None, "avant la panne")
    live = await next_of(cardio, "message.new", timeout=10)  # fan-out through Redis works
    assert live["message"]["client_id"] == first_id
    cursor = live["message"]["seq"]

    await asyncio.to_thread(stage.redis.kill)
    # Redis is down: the database still takes messages; the sender gets its ack (fan-out is
    # best effort) or resends until it does.
    gp, during_id = await send(stage, gp_box, gp, "pendant la panne")
    await asyncio.sleep(0.5)
    stage.redis = await asyncio.to_thread(RedisServer(port=stage.redis.port).start)
    gp, after_id = await send(stage, gp_box, gp, "après la panne")

    acknowledged = [first_id, during_id, after_id]
    assert set(gp_box.acks) == set(acknowledged) and not gp_box.pending
    assert await stored_client_ids(stage.conversation) == acknowledged

    # Both clients catch up from their cursor, on their old socket or a new one.
    cardio = await usable(cardio, stage.second.ws_url, stage.second.base, stage.cardio_cookie)
    missed = await sync_after(cardio, stage.conversation, cursor)
    assert [m["client_id"] for m in missed] == [during_id, after_id]
    assert [m["seq"] for m in missed] == [cursor + 1, cursor + 2]
    gp = await usable(gp, stage.first.ws_url, stage.first.base, stage.gp_cookie)
    history = await sync_after(gp, stage.conversation, 0)
    assert [m["client_id"] for m in history] == acknowledged
    await gp.close()
    await cardio.close()


async def test_after_a_redis_restart_live_delivery_resumes_and_sync_fills_the_gap(stage):
    gp_box = Outbox(stage.conversation)
    cardio, _ = await reconnect(stage.second.ws_url, stage.second.base, stage.cardio_cookie)
    gp, first_id = await send(stage, gp_box, None, "avant la panne")
    live = await next_of(cardio, "message.new")
    assert live["message"]["client_id"] == first_id
    cursor = live["message"]["seq"]

    await restart_redis(stage)
    cardio = await usable(cardio, stage.second.ws_url, stage.second.base, stage.cardio_cookie)
    gp = await usable(gp, stage.first.ws_url, stage.first.base, stage.gp_cookie)
    # Events published while the processes re-establish their Redis connections may be lost
    # (see the next test); live delivery must come back within a few messages.
    received = None
    for attempt in range(10):
        gp, _ = await send(stage, gp_box, gp, f"après la panne {attempt}")
        with contextlib.suppress(TimeoutError):
            received = await next_of(cardio, "message.new", timeout=1.5)
            break
    assert received is not None, "live delivery did not resume after the Redis restart"
    # The client sees a seq gap if it missed events: a sync from its cursor fills it.
    missed = await sync_after(cardio, stage.conversation, cursor)
    assert [m["client_id"] for m in missed] == list(gp_box.acks)[1:]
    assert [m["seq"] for m in missed] == list(range(cursor + 1, cursor + 1 + len(missed)))
    await gp.close()
    await cardio.close()


async def live_or_resynced(socket: ClientConnection, conversation: str, cursor: int) -> list[dict]:
    """What the web client does: a `message.new` is shown at once; a `resync` (the server's
    channel layer came back after losing Redis) makes it sync from its cursor."""
    async with asyncio.timeout(15):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == "message.new":
                return [frame["message"]]
            if frame["type"] == "resync" and (
                missed := await sync_after(socket, conversation, cursor)
            ):
                return missed


async def test_after_a_redis_restart_every_socket_is_told_to_resync(stage):
    """Nothing to send: the server's receive loop reconnects by itself, and each socket of the
    process gets a `resync` frame (events published in the gap are lost for Redis pub/sub)."""
    cardio, _ = await reconnect(stage.second.ws_url, stage.second.base, stage.cardio_cookie)
    gp, _ = await reconnect(stage.first.ws_url, stage.first.base, stage.gp_cookie)
    await restart_redis(stage)
    assert (await next_of(cardio, "resync", timeout=15)) == {"type": "resync"}
    assert (await next_of(gp, "resync", timeout=15)) == {"type": "resync"}
    await gp.close()
    await cardio.close()


async def test_the_first_message_after_a_redis_restart_reaches_the_client_without_waiting(stage):
    """Sent while the receiving server re-subscribes, its live copy may be lost (Redis pub/sub
    keeps nothing): the `resync` the server sends once re-subscribed brings it by `sync`, with no
    next message or reconnection of the client needed."""
    gp_box = Outbox(stage.conversation)
    cardio, _ = await reconnect(stage.second.ws_url, stage.second.base, stage.cardio_cookie)
    gp, first_id = await send(stage, gp_box, None, "avant la panne")
    first = await next_of(cardio, "message.new")
    assert first["message"]["client_id"] == first_id
    cursor = first["message"]["seq"]

    await restart_redis(stage)
    cardio = await usable(cardio, stage.second.ws_url, stage.second.base, stage.cardio_cookie)
    gp = await usable(gp, stage.first.ws_url, stage.first.base, stage.gp_cookie)
    gp, after_id = await send(stage, gp_box, gp, "après la panne")
    received = await live_or_resynced(cardio, stage.conversation, cursor)
    assert [m["client_id"] for m in received] == [after_id]
    await gp.close()
    await cardio.close()
