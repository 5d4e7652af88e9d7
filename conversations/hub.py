"""One channel-layer channel per server process for all its sockets (issue #21 goal 5).

Channels gives every consumer its own channel: an asyncio Queue (four deques), a receive task
waiting on it, a second task for the socket's own messages, and with Redis a SUBSCRIBE per
socket. Here the process's hub holds the only channel: it joins each group once for the
process, however many local sockets are in it (refcounted), receives every message for the
process in one task, and hands each to the local sockets from an in-memory map.

Addressing (backend.channel_layer's layers do the wrapping, so every sender, a Celery worker
included, stays as it was):
- a group message comes with its group's name (`GROUP_KEY`): the hub finds the group's sockets;
- a socket's `channel_name` is `<the hub's channel>#<n>`: a `send` to it goes to the hub's
  channel with the socket's name (`SOCKET_KEY`), so a call signal still reaches one socket,
  on whichever process it lives;
- a message with neither (the `layer.reconnected` event after a lost Redis subscription) is
  for every socket of the process.

Each socket handles what the hub hands it in the order received, one at a time and never in
the middle of one of its own frames, as a Channels consumer did (`HubSocket.take`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

from backend import channel_layer as layer_events
from backend.channel_layer import GROUP_KEY, SOCKET_KEY, SOCKET_MARK

logger = logging.getLogger(__name__)


class HubSocket(Protocol):
    channel_name: str

    async def take(self, message: dict[str, Any]) -> None: ...


class Hub:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel = ""
        self.sockets: weakref.WeakValueDictionary[str, HubSocket] = weakref.WeakValueDictionary()
        # group -> the local sockets in it (a socket itself while it is the only one: most
        # user groups have one socket in a process)
        self.groups: dict[str, Any] = {}
        self.joined: set[str] = set()  # groups the hub's channel is in
        self.lock = asyncio.Lock()
        self.numbers = itertools.count(1)
        self.task: asyncio.Task[None] | None = None
        self.leaving: set[asyncio.Task[None]] = set()
        self.started: asyncio.Future[None] | None = None

    # --- sockets -------------------------------------------------------------------------
    async def name(self) -> str:
        """A new socket's channel name (the hub starts with the first one)."""
        if self.started is None:
            self.started = asyncio.get_running_loop().create_future()
            try:
                self.channel = await self.layer.new_channel()
                layer_events.hub(self.channel)
                layer_events.watch(self.channel)
                self.task = asyncio.get_running_loop().create_task(self._run())
            except BaseException as exc:
                self.started.set_exception(exc)
                self.started.exception()  # retrieved: the next socket tries again
                self.started = None
                raise
            self.started.set_result(None)
        else:
            await self.started
        return f"{self.channel}{SOCKET_MARK}{next(self.numbers)}"

    def add(self, socket: HubSocket) -> None:
        self.sockets[socket.channel_name] = socket

    def remove(self, socket: HubSocket) -> None:
        self.sockets.pop(socket.channel_name, None)

    # --- groups --------------------------------------------------------------------------
    async def join(self, group: str, socket: HubSocket) -> None:
        members = self.groups.get(group)
        if members is None:
            self.groups[group] = socket
        elif isinstance(members, set):
            members.add(socket)
        elif members is not socket:
            self.groups[group] = {members, socket}
        if group in self.joined:
            return
        async with self.lock:  # one change of the layer's groups at a time
            if group not in self.joined and group in self.groups:
                await self.layer.group_add(group, self.channel)
                if group in self.groups:
                    self.joined.add(group)
                else:  # its sockets left meanwhile
                    await self.layer.group_discard(group, self.channel)

    def leave(self, group: str, socket: HubSocket) -> None:
        """Synchronous, so that a socket whose task is cancelled still leaves; the layer's
        group is left by a task of its own when no local socket is in it any more."""
        members = self.groups.get(group)
        if members is socket:
            del self.groups[group]
        elif isinstance(members, set):
            members.discard(socket)
            if len(members) == 1:
                self.groups[group] = next(iter(members))
        if group in self.groups or group not in self.joined:
            return
        self.joined.discard(group)  # a join from now on goes through the lock again
        task = asyncio.get_running_loop().create_task(self._discard(group))
        self.leaving.add(task)
        task.add_done_callback(self.leaving.discard)

    async def _discard(self, group: str) -> None:
        async with self.lock:
            if group in self.groups or group in self.joined:
                return  # joined again meanwhile
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:
                logger.exception("hub group discard failed", extra={"event": "ws.hub"})

    def members(self, group: str) -> list[HubSocket]:
        members = self.groups.get(group)
        if members is None:
            return []
        return list(members) if isinstance(members, set) else [members]

    # --- messages in ---------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("hub receive failed", extra={"event": "ws.hub"})
                await asyncio.sleep(1)
                continue
            await self.hand_out(message)

    async def hand_out(self, message: dict[str, Any]) -> None:
        group = message.pop(GROUP_KEY, None)
        target = message.pop(SOCKET_KEY, None)
        if group is not None:
            sockets = self.members(group)
        elif target is not None:
            socket = self.sockets.get(target)
            sockets = [socket] if socket is not None else []
        else:
            sockets = list(self.sockets.values())
        for socket in sockets:
            try:
                await socket.take(message)
            except Exception:
                logger.exception("hub hand-out failed", extra={"event": "ws.hub"})


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def of_this_loop() -> Hub:
    """The process has one event loop under daphne; tests run one per test."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub(get_channel_layer())
    return hub
