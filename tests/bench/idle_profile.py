"""Where the memory of an idle socket goes, layer by layer (issue #21 goal 5). Not a bench of
`make bench`: `python -m tests.bench.idle_profile [variant...]`, IDLE_PROFILE_N sockets
(default 4,000), measured like bench_idle (RSS growth per socket between the first quarter and
the end), plus a census of the server's objects by type at both points (growth per socket).

Variants (tests/bench/idle_profile_apps.py), each in its own daphne process:
raw       a bare ASGI WebSocket app (no Channels)
consumer  a Channels AsyncWebsocketConsumer without a channel layer
layered   the same with the configured channel layer (in-memory, or Redis pub/sub with
          REDIS_URL) and one group per socket (the bench relay)
liaison   the product (signed in, presence, the web client's heartbeat)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from typing import Any

from tests.bench.bench_idle import _drain
from tests.bench.bench_messages import _keep_alive
from tests.bench.support import BenchDatabase, Server, env_int, open_socket, populate

VARIANTS = ("raw", "consumer", "layered", "liaison")


async def _open_plain(server: Server, n: int) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(
        f"{server.ws_url}?{n}",
        additional_headers={"Origin": server.base},
        max_queue=None,
        ping_interval=None,
    )
    await ws.recv()
    return ws


def _census(server: Server, out: str) -> dict[str, Any]:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(out)
    assert server.process is not None
    server.process.send_signal(signal.SIGUSR1)
    for _ in range(600):
        time.sleep(0.1)
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError), open(out) as f:
            return dict(json.load(f))
    raise RuntimeError("no census")


async def _hold(
    server: Server, variant: str, users: list[dict[str, Any]], steps: list[int], out: str
) -> dict[str, Any]:
    sockets: list[Any] = []
    tasks: list[asyncio.Task[None]] = []
    # (fewer at once under tracemalloc: daphne's handshake timeout is 5 s)
    gate = asyncio.Semaphore(5 if os.environ.get("IDLE_PROFILE_TRACE") else 50)
    points: list[dict[str, Any]] = []

    async def one(n: int) -> Any:
        async with gate:
            if variant == "liaison":
                ws = await open_socket(server, users[n]["session"], timeout=60)
                tasks.append(asyncio.create_task(_keep_alive(ws)))
            else:
                ws = await _open_plain(server, n)
        tasks.append(asyncio.create_task(_drain(ws)))
        return ws

    await asyncio.sleep(2)
    try:
        for target in steps:
            sockets += await asyncio.gather(*(one(n) for n in range(len(sockets), target)))
            await asyncio.sleep(3)
            census = await asyncio.to_thread(_census, server, out)
            points.append({"sockets": len(sockets), "rss_mb": server.stats.rss_mb(), **census})
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return _split(points)


def _split(points: list[dict[str, Any]]) -> dict[str, Any]:
    first, last = points[0], points[-1]
    added = last["sockets"] - first["sockets"]
    per = {"rss_kb": (last["rss_mb"] - first["rss_mb"]) * 1024 / added}
    grew = []
    for name, size in last["sizes"].items():
        delta = size - first["sizes"].get(name, 0)
        count = last["counts"][name] - first["counts"].get(name, 0)
        if abs(delta) / added >= 16:
            grew.append((name, round(count / added, 2), round(delta / added)))
    grew.sort(key=lambda g: -g[2])
    lines = []
    for where, (size, count) in last["lines"].items():
        before = first["lines"].get(where, [0, 0])
        if (size - before[0]) / added >= 16:
            lines.append(
                (where, round((count - before[1]) / added, 2), round((size - before[0]) / added))
            )
    lines.sort(key=lambda g: -g[2])
    per["gc_tracked_bytes"] = sum(g[2] for g in grew)
    per["traced_bytes"] = (
        sum((s - first["lines"].get(w, [0, 0])[0]) for w, (s, _) in last["lines"].items()) / added
        if last["lines"]
        else None
    )
    return {**per, "types": grew, "lines": lines[:40]}


def main() -> None:
    variants = sys.argv[1:] or list(VARIANTS)
    total = env_int("IDLE_PROFILE_N", 4000)
    steps = [total // 4, total]
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    out = os.path.join(tempfile.mkdtemp(prefix="idle_census_"), "census.json")
    extra = {"IDLE_PROFILE_OUT": out}
    if os.environ.get("IDLE_PROFILE_TRACE"):
        extra["PYTHONTRACEMALLOC"] = "1"
    with BenchDatabase(postgres=database_url.startswith("postgres")) as db:
        users = populate(db, total, 2)["users"] if "liaison" in variants else []
        for variant in variants:
            app = "tests.bench.idle_profile_apps:" + variant
            server = Server({**db.env(), **extra}, redis_url, app=app).start()
            try:
                result = asyncio.run(_hold(server, variant, users, steps, out))
            finally:
                server.stop()
            print(
                f"\n=== {variant}: {result['rss_kb']:.1f} KB RSS per socket, "
                f"gc-tracked objects {result['gc_tracked_bytes']} B, traced "
                f"{result['traced_bytes']} B"
            )
            for name, count, size in result["types"][:30]:
                print(f"  {name:40} {count:6} objs  {size:6} B")
            for where, count, size in result["lines"]:
                print(f"  {where[-90:]:90} {count:6}  {size:6} B")
            sys.stdout.flush()


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    main()
