"""The cluster proof (issue #9): two daphne processes and a Celery worker on loopback, against the
real PostgreSQL and Redis. Two users talk, each through a different web process, with the web
client's resend loop; the process of one of them is killed with SIGKILL mid-conversation. Its
client fails over to the other process, resends its outbox (same client_ids) and syncs: nothing
is lost or doubled, and both users end with the full history. The worker renders a synthesis
requested over HTTP on the surviving process (tasks go through the broker, not eagerly)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from backend.celery import app as celery_app
from conversations import actions
from conversations.models import Message
from tests.reliability.resend_client import Outbox, _pump, open_socket, sync_after
from tests.servers import ROOT, Daphne
from tests.servers import test_database_url as database_url
from tests.wsclient import session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]

PER_USER, KILL_AT, WINDOW = 120, 40, 8
FAST = {"WS_RATE_PER_SECOND": "10000", "WS_RATE_BURST": "10000"}


class Worker:
    """A real `celery worker` on its own queue, so a concurrent run never takes our tasks."""

    def __init__(self, queue: str, **env: str) -> None:
        self.queue, self.name = queue, f"{queue}@cluster-proof"
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> Worker:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LOG_LEVEL": "WARNING",
            **self.env,
        }
        celery = str(Path(sys.executable).with_name("celery"))
        self.process = subprocess.Popen(
            [
                *[celery, "-A", "backend", "worker", "-l", "warning", "--concurrency", "1"],
                *["-Q", self.queue, "-n", self.name, "--without-gossip", "--without-mingle"],
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            if celery_app.control.ping(destination=[self.name], timeout=0.5):
                return self
        self.stop()
        raise TimeoutError("the Celery worker did not answer ping")

    def processed(self) -> dict[str, int]:
        """Tasks this worker ran, by name (from the worker itself, through the broker)."""
        stats: dict[str, Any] = (
            celery_app.control.inspect(destination=[self.name], timeout=2).stats() or {}
        )
        return dict(stats.get(self.name, {}).get("total", {}))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # cold shutdown: the test is over
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


async def connect_any(
    servers: list[Daphne], first: int, cookie: str, deadline_s: float = 30
) -> tuple[ClientConnection, int]:
    """Like the web client given several server URLs: tries them in turn from `first`, with
    back-off, and returns the open socket and the index of the server it reached."""
    loop = asyncio.get_running_loop()
    deadline, delay, index = loop.time() + deadline_s, 0.05, first
    while True:
        server = servers[index % len(servers)]
        try:
            return await open_socket(server.ws_url, server.base, cookie), index % len(servers)
        except (OSError, InvalidHandshake, InvalidStatus, ConnectionClosed, TimeoutError):
            if loop.time() > deadline:
                raise
            index += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)


class Client:
    """One user's tab: an outbox, the index of the server it is on, failover on any drop."""

    def __init__(self, servers: list[Daphne], home: int, cookie: str, outbox: Outbox) -> None:
        self.servers, self.home, self.cookie, self.outbox = servers, home, cookie, outbox
        self.socket: ClientConnection | None = None
        self.server_index = home

    async def run(self) -> None:
        start = self.home
        while True:
            if self.socket is None:
                self.socket, self.server_index = await connect_any(self.servers, start, self.cookie)
                self.outbox.connections += 1
            try:
                await _pump(self.socket, self.outbox, WINDOW)
                return
            except (ConnectionClosed, OSError):
                self.socket, start = None, self.server_index + 1  # the next server first


async def close(socket: ClientConnection) -> None:
    """Closes after reading what is queued: with its receive queue full (frames nobody read
    after the sync), the client would not see the server's close frame until its timeout."""

    async def drain() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for _ in socket:
                pass

    reader = asyncio.create_task(drain())
    await socket.close()
    await reader


@sync_to_async
def stored(conversation_id: Any) -> list[tuple[int, str, str]]:
    return list(
        Message.objects.filter(conversation_id=conversation_id)
        .order_by("seq")
        .values_list("seq", "client_id", "body")
    )


def http_json(
    method: str, server: Daphne, path: str, cookies: dict[str, str], body: Any = None
) -> tuple[int, dict[str, Any]]:
    headers = {
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "Origin": server.base,
        "Referer": f"{server.base}/",
    }
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if "csrftoken" in cookies:
        headers["X-CSRFToken"] = cookies["csrftoken"]
    request = urllib.request.Request(f"{server.base}{path}", data, headers, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return answer.status, json.loads(answer.read() or b"{}")


def synthesis_through_the_worker(server: Daphne, conversation_id: str, cookie: str) -> list[str]:
    """Requests a synthesis over HTTP on `server` and follows it until done; returns the
    statuses seen (the 202 answer, then each poll)."""
    cookies = {"sessionid": cookie}
    http_json("GET", server, "/api/auth/csrf", cookies)
    status, answer = http_json(
        "POST", server, f"/api/conversations/{conversation_id}/synthesis", cookies, {}
    )
    assert status == 202, answer
    export_id, seen = answer["export"]["id"], [answer["export"]["status"]]
    deadline = time.monotonic() + 30
    while seen[-1] not in {"done", "failed"} and time.monotonic() < deadline:
        time.sleep(0.1)
        _, export = http_json("GET", server, f"/api/exports/{export_id}", cookies)
        seen.append(export["status"])
    return seen


async def test_two_web_processes_a_worker_and_a_sigkill_lose_nothing(personas, tmp_path):
    conversation, _ = await sync_to_async(actions.create_conversation)(
        personas.gp, users=[personas.cardiologist]
    )
    conversation_id = str(conversation.pk)
    queue = f"cluster-proof-{uuid.uuid4().hex[:12]}"
    env = {
        **FAST,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    sent: dict[str, list[tuple[str, str]]] = {
        who: [(f"{who}-{i:03d}-{uuid.uuid4().hex[:12]}", f"{who} n°{i} é") for i in range(PER_USER)]
        for who in ("gp", "cardio")
    }
    outboxes = {who: Outbox(conversation_id) for who in sent}
    for who, messages in sent.items():
        for client_id, body in messages:
            outboxes[who].add(client_id, body)

    first, second, worker = (
        Daphne(None, **env),
        Daphne(None, **env),
        Worker(queue, MEDIA_ROOT=env["MEDIA_ROOT"]),
    )
    try:
        await asyncio.gather(
            asyncio.to_thread(first.start),
            asyncio.to_thread(second.start),
            asyncio.to_thread(worker.start),
        )
        servers = [first, second]
        cookies = {
            "gp": await session_cookie(personas.gp),
            "cardio": await session_cookie(personas.cardiologist),
        }
        clients = {
            "gp": Client(servers, 0, cookies["gp"], outboxes["gp"]),  # on the one to be killed
            "cardio": Client(servers, 1, cookies["cardio"], outboxes["cardio"]),
        }
        kill_now = asyncio.Event()
        outboxes["gp"].on_ack = lambda acked: kill_now.set() if acked >= KILL_AT else None
        acked_before_kill: dict[str, int] = {}

        async def kill_first() -> None:
            await kill_now.wait()
            await asyncio.to_thread(first.kill)  # SIGKILL: no close frame, in-flight frames lost
            for outbox in outboxes.values():
                acked_before_kill.update({c: seqs[0] for c, seqs in outbox.acks.items()})

        killer = asyncio.create_task(kill_first())
        await asyncio.wait_for(asyncio.gather(*(c.run() for c in clients.values())), timeout=60)
        await asyncio.wait_for(killer, timeout=5)
        assert first.process is not None and first.process.returncode == -signal.SIGKILL

        # Both users end with the full history, read from the surviving process.
        histories = {}
        for who, client in clients.items():
            assert client.socket is not None
            histories[who] = await sync_after(client.socket, conversation_id, 0)

        # The worker renders a synthesis queued by the surviving web process.
        statuses = await asyncio.to_thread(
            synthesis_through_the_worker, second, conversation_id, cookies["gp"]
        )
        processed = await asyncio.to_thread(worker.processed)
        await asyncio.gather(*(close(c.socket) for c in clients.values() if c.socket))
    finally:
        for server in (first, second):
            server.kill()
        worker.stop()

    gp, cardio = clients["gp"], clients["cardio"]
    assert gp.outbox.connections >= 2, "gp's process was killed: it had to reconnect"
    assert gp.server_index == 1, "gp failed over to the other process"
    assert cardio.outbox.connections == 1 and cardio.server_index == 1
    assert KILL_AT <= len(acked_before_kill) < 2 * PER_USER
    for outbox in outboxes.values():
        assert not outbox.pending
        assert not [e for e in outbox.errors if e["code"] == "server_error"], outbox.errors

    rows = await stored(conversation.pk)
    total = 2 * PER_USER
    assert [seq for seq, _, _ in rows] == list(range(1, total + 1)), "seq is gapless"
    bodies = {client_id: body for messages in sent.values() for client_id, body in messages}
    assert sorted(c for _, c, _ in rows) == sorted(bodies), "each message stored exactly once"
    assert all(bodies[client_id] == body for _, client_id, body in rows), "every body intact"
    by_client = {client_id: seq for seq, client_id, _ in rows}
    assert {c: by_client[c] for c in acked_before_kill} == acked_before_kill, "acks kept"
    for outbox in outboxes.values():
        assert all(set(seqs) == {by_client[c]} for c, seqs in outbox.acks.items())
    for who, history in histories.items():
        assert [(m["seq"], m["client_id"], m["body"]) for m in history] == rows, who

    assert statuses[0] == "queued" and statuses[-1] == "done", statuses
    assert processed.get("conversations.tasks.render_synthesis", 0) >= 1, processed


async def test_sigterm_closes_open_sockets_with_1012_service_restart(personas):
    """Graceful shutdown: on SIGTERM each open WebSocket gets a close frame with code 1012
    before the process exits (the web client reconnects elsewhere and resyncs)."""
    cookie = await session_cookie(personas.gp)
    server = await asyncio.to_thread(Daphne(None).start)
    try:
        sockets = [await open_socket(server.ws_url, server.base, cookie) for _ in range(2)]
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        for socket in sockets:
            async with asyncio.timeout(10):
                with contextlib.suppress(ConnectionClosed):
                    async for _ in socket:  # presence and other frames until the close
                        pass
            assert socket.close_code == 1012, (socket.close_code, socket.close_reason)
        assert await asyncio.to_thread(server.process.wait, 15) == 0
    finally:
        server.kill()
