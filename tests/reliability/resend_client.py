"""A client over a real socket that behaves like the web client: an outbox of unacknowledged
messages (client_id chosen up front), resent with the same client_ids after a reconnection,
then a `sync` from the last seq it saw. Shared by the crash and Redis-restart tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

BACKOFF_START, BACKOFF_MAX = 0.05, 1.0
RECONNECT_DEADLINE = 60.0


async def open_socket(url: str, origin: str, cookie: str) -> ClientConnection:
    socket = await ws_connect(
        url,
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": origin},
        open_timeout=5,
        max_size=None,
    )
    hello = json.loads(await socket.recv())
    assert hello["type"] == "hello", hello
    return socket


async def reconnect(url: str, origin: str, cookie: str) -> tuple[ClientConnection, int]:
    """Connects, retrying with exponential backoff while the server is away; returns the socket
    and the number of failed attempts."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RECONNECT_DEADLINE
    delay, failures = BACKOFF_START, 0
    while True:
        try:
            return await open_socket(url, origin, cookie), failures
        except (OSError, InvalidHandshake, InvalidStatus, ConnectionClosed, TimeoutError):
            failures += 1
            if loop.time() > deadline:
                raise
            await asyncio.sleep(delay)  # backoff between attempts, as the web client does
            delay = min(delay * 2, BACKOFF_MAX)


async def next_of(socket: ClientConnection, frame_type: str, timeout: float = 10, **match: Any):
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
                return frame


@dataclass
class Outbox:
    """Messages of one conversation, in send order, until each is acknowledged."""

    conversation: str
    pending: OrderedDict[str, str] = field(default_factory=OrderedDict)  # client_id -> body
    acks: dict[str, list[int]] = field(default_factory=dict)  # client_id -> seqs acked
    errors: list[dict[str, Any]] = field(default_factory=list)
    last_seq: int = 0  # highest contiguous seq seen (acks, message.new, sync)
    seen: set[int] = field(default_factory=set)
    connections: int = 0
    on_ack: Callable[[int], None] | None = None

    def add(self, client_id: str, body: str) -> None:
        self.pending[client_id] = body

    def saw(self, seq: int) -> None:
        self.seen.add(seq)
        while self.last_seq + 1 in self.seen:
            self.last_seq += 1

    def frame(self, client_id: str) -> str:
        return json.dumps(
            {
                "type": "message.send",
                "conversation": self.conversation,
                "client_id": client_id,
                "body": self.pending[client_id],
                "ref": client_id[-12:],
            }
        )

    def handle(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "message.ack":
            client_id, seq = frame["client_id"], frame["message"]["seq"]
            self.acks.setdefault(client_id, []).append(seq)
            if self.pending.pop(client_id, None) is not None and self.on_ack:
                self.on_ack(len(self.acks))
            self.saw(seq)
        elif frame["type"] == "message.new":
            self.saw(frame["message"]["seq"])
        elif frame["type"] == "sync":
            for message in frame["messages"]:
                self.saw(message["seq"])
        elif frame["type"] == "error":
            self.errors.append(frame)


async def _pump(socket: ClientConnection, outbox: Outbox, window: int) -> None:
    """Sends the pending messages (at most `window` unacknowledged in flight) and reads the
    answers, until every message is acknowledged or the connection drops."""
    in_flight: set[str] = set()
    progress = asyncio.Event()

    async def reader() -> None:
        async for raw in socket:
            frame = json.loads(raw)
            outbox.handle(frame)
            if frame["type"] == "message.ack":
                in_flight.discard(frame["client_id"])
            elif frame["type"] == "error" and frame.get("ref"):
                in_flight.difference_update({c for c in in_flight if c.endswith(frame["ref"])})
            progress.set()

    read_task = asyncio.create_task(reader())
    try:
        while outbox.pending:
            for client_id in [c for c in outbox.pending if c not in in_flight]:
                while len(in_flight) >= window:
                    progress.clear()
                    await _wait_or_raise(progress, read_task)
                if client_id not in outbox.pending:
                    continue
                in_flight.add(client_id)
                await socket.send(outbox.frame(client_id))
            progress.clear()
            if outbox.pending and in_flight:
                await _wait_or_raise(progress, read_task)
            elif outbox.pending:  # refused with an error frame: resend after a pause
                await asyncio.sleep(0.2)
    finally:
        read_task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await read_task


async def _wait_or_raise(progress: asyncio.Event, read_task: asyncio.Task[None]) -> None:
    waiter = asyncio.create_task(progress.wait())
    await asyncio.wait({waiter, read_task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if read_task.done():
        waiter.cancel()
        read_task.result()  # re-raises ConnectionClosed
        raise ConnectionClosed(None, None)
    if not waiter.done():
        waiter.cancel()
        raise TimeoutError("no answer from the server within 15 s")


async def deliver_all(
    url: str,
    origin: str,
    cookie: str,
    outbox: Outbox,
    window: int = 16,
    socket: ClientConnection | None = None,
) -> ClientConnection:
    """Sends everything in the outbox, surviving server restarts; returns the open socket
    (`socket` if it is still usable, else a new one)."""
    while True:
        if socket is None:
            socket, _ = await reconnect(url, origin, cookie)
            outbox.connections += 1
        try:
            await _pump(socket, outbox, window)
            return socket
        except (ConnectionClosed, OSError):
            socket = None


async def sync_after(socket: ClientConnection, conversation: str, seq: int) -> list[dict]:
    """Every message after `seq`, following `more` pages."""
    messages: list[dict] = []
    while True:
        ref = f"sync-{seq}"
        await socket.send(json.dumps({"type": "sync", "cursors": {conversation: seq}, "ref": ref}))
        answer = await next_of(socket, "sync", ref=ref)
        page = [m for m in answer["messages"] if m["conversation"] == conversation]
        messages += page
        if not answer["more"] or not page:
            return messages
        seq = page[-1]["seq"]
