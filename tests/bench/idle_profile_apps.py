"""Apps for profiling the memory of idle sockets layer by layer (tests/bench/idle_profile.py).
`IDLE_PROFILE_OUT`: on SIGUSR1 the process writes a census of its objects by type (count and
bytes) and, under PYTHONTRACEMALLOC, its allocations by line, to that file (JSON)."""

from __future__ import annotations

import collections
import gc
import json
import os
import signal
import sys
import tracemalloc
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


def _census(signum: int, frame: Any) -> None:
    out = os.environ.get("IDLE_PROFILE_OUT")
    if not out:
        return
    gc.collect()
    counts: collections.Counter[str] = collections.Counter()
    sizes: collections.Counter[str] = collections.Counter()
    for obj in gc.get_objects():
        name = type(obj).__qualname__
        counts[name] += 1
        sizes[name] += sys.getsizeof(obj)
    # Objects gc does not track (str, bytes, int, float...) are left out of the census; the
    # tracemalloc part counts every allocation.
    lines: dict[str, list[int]] = {}
    if tracemalloc.is_tracing():
        for stat in tracemalloc.take_snapshot().statistics("lineno"):
            where = f"{stat.traceback[0].filename}:{stat.traceback[0].lineno}"
            lines[where] = [stat.size, stat.count]
    with open(out, "w") as f:
        json.dump({"counts": counts, "sizes": sizes, "lines": lines}, f)


signal.signal(signal.SIGUSR1, _census)


async def _healthz(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def _raw_ws(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """(a) A bare ASGI WebSocket app: accept, say hello, read until the close."""
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": '{"type": "hello"}'})
    while (await receive())["type"] != "websocket.disconnect":
        pass


class _Bare(AsyncWebsocketConsumer):
    channel_layer_alias = "none"  # not configured: no channel layer

    async def connect(self) -> None:
        await self.accept()
        await self.send(text_data='{"type": "hello"}')


class _Layered(AsyncWebsocketConsumer):
    """With the configured channel layer and one group (the relay's consumer)."""

    async def connect(self) -> None:
        self.me = self.scope["query_string"].decode() or "x"
        await self.channel_layer.group_add(f"relay.{self.me}", self.channel_name)
        await self.accept()
        await self.send(text_data='{"type": "hello"}')

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(f"relay.{self.me}", self.channel_name)


def _app(ws: Any) -> Any:
    return ProtocolTypeRouter({"http": _healthz, "websocket": ws})


raw = _app(_raw_ws)
consumer = _app(URLRouter([path("ws/", _Bare.as_asgi())]))
layered = _app(URLRouter([path("ws/", _Layered.as_asgi())]))


def __getattr__(name: str) -> Any:
    if name == "liaison":
        from backend.asgi import application

        return application
    raise AttributeError(name)
