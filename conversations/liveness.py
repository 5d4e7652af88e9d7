"""One liveness loop per server process for all its sockets (issue #21 item 5), instead of one
heartbeat task and a query per socket every period.

Every HEARTBEAT_SECONDS the loop of the process's event loop:
- drops the sockets heard from for more than CLIENT_SILENCE_LIMIT (close 4408, the others see
  them offline), as each socket's own heartbeat did;
- in one worker-thread trip: refreshes `last_seen` of every other socket's Connection row (one
  UPDATE per CHUNK sockets), checks every socket's session at once (sessions.alive_sessions:
  two SELECTs), and sweeps the rows a dead process left behind (once per period);
- closes the sockets whose session ended unnoticed (the `session.end` event did not reach this
  process), as their next frame would have: a ping frame no longer queries the session.

A client `ping` only stamps `last_heard` in memory. The bounds stay: a silent client is dropped
within CLIENT_SILENCE_LIMIT + HEARTBEAT_SECONDS; a session that ended unnoticed closes its
sockets within HEARTBEAT_SECONDS (before: at the next ping, sent every 10 s).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Iterable
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from backend.accounts import sessions
from conversations import events, frames, presence
from conversations.models import Connection

logger = logging.getLogger(__name__)
CHUNK = 5_000  # channel names per UPDATE (under SQLite's and PostgreSQL's parameter limits)


class LiveSocket(Protocol):
    channel_name: str
    session_key: str | None
    auth_at: float | None
    last_heard: float
    ended: bool

    @property
    def user_id(self) -> Any: ...

    async def drop_silent_client(self) -> None: ...

    async def session_over(self) -> None: ...


class Liveness:
    """The open sockets of one event loop, held weakly: a consumer that vanished without its
    `disconnect` leaves nothing behind."""

    def __init__(self) -> None:
        self.sockets: weakref.WeakValueDictionary[str, LiveSocket] = weakref.WeakValueDictionary()
        self.task: asyncio.Task[None] | None = None
        self.last_sweep = 0.0

    def add(self, socket: LiveSocket) -> None:
        self.sockets[socket.channel_name] = socket
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def remove(self, socket: LiveSocket) -> None:
        self.sockets.pop(socket.channel_name, None)

    async def _run(self) -> None:
        # Ends with the last socket; the next one starts it again.
        while self.sockets:
            await asyncio.sleep(presence.HEARTBEAT_SECONDS)
            try:
                await self.run_pass()
            except Exception:
                logger.exception("liveness pass failed", extra={"event": "ws.liveness"})

    async def run_pass(self) -> None:
        now = time.monotonic()
        sockets = [s for s in list(self.sockets.values()) if not s.ended]
        silent = [s for s in sockets if now - s.last_heard > presence.CLIENT_SILENCE_LIMIT]
        for socket in silent:
            self.remove(socket)
        live = [s for s in sockets if now - s.last_heard <= presence.CLIENT_SILENCE_LIMIT]
        sweep = now - self.last_sweep >= presence.HEARTBEAT_SECONDS
        if sweep:
            self.last_sweep = now
        alive, offline = await database_sync_to_async(refresh)(
            [(s.channel_name, s.session_key, s.user_id, s.auth_at) for s in live], sweep
        )
        ended = [s for s in live if s.channel_name not in alive and not s.ended]
        await _each([s.drop_silent_client() for s in silent] + [s.session_over() for s in ended])
        for user_id in offline:
            await announce_offline(user_id)


async def announce_offline(user_id: str) -> None:
    """A user whose rows a dead process left behind: their contacts see them offline."""
    contacts = await database_sync_to_async(presence.contacts_of)(user_id)
    frame = frames.presence(user_id, "offline")
    layer = get_channel_layer()
    for contact in contacts:
        await layer.group_send(events.user_group(contact), {"type": "deliver", "frame": frame})


async def _each(jobs: list[Any]) -> None:
    for outcome in await asyncio.gather(*jobs, return_exceptions=True):
        if isinstance(outcome, Exception):
            logger.error("liveness job failed", exc_info=outcome, extra={"event": "ws.liveness"})


def refresh(
    sockets: list[tuple[str, str | None, Any, float | None]], sweep: bool
) -> tuple[set[str], list[str]]:
    """One trip to the database for the whole process: returns the channel names whose
    session is still alive, and the users a sweep of stale rows left offline."""
    names = [name for name, *_ in sockets]
    now = timezone.now()
    for chunk in _chunks(names):
        Connection.objects.filter(channel_name__in=chunk).update(last_seen=now)
    alive_keys = sessions.alive_sessions([(key, user_id, at) for _, key, user_id, at in sockets])
    alive = {name for name, key, *_ in sockets if key in alive_keys}
    offline = presence.sweep_stale() if sweep else []
    return alive, offline


def _chunks(names: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(names), CHUNK):
        yield names[start : start + CHUNK]


_loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Liveness] = weakref.WeakKeyDictionary()


def of_this_loop() -> Liveness:
    """The process has one event loop under daphne; tests run one per test."""
    loop = asyncio.get_running_loop()
    liveness = _loops.get(loop)
    if liveness is None:
        liveness = _loops[loop] = Liveness()
    return liveness
