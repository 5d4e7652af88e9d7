"""Idle connections: how many signed-in, idle WebSockets one daphne process holds, and its memory
per socket (issue #21 goal 5: 10,000 at 20 KB each at most). Opens BENCH_IDLE sockets (default
10,000, quick 300) in steps, one user each (users in conversations of 2, so connecting
broadcasts presence as in real use); every socket sends the web client's heartbeat (a `ping`
frame every 10 s from its opening) and its frames are read, as in real use; the process
RSS is read after each step once the sockets settled. Memory per socket is the RSS growth from
the first to the last step divided by the sockets added. Stops at the first step that fails to
open.

Reference measured in the same run: the bare Channels relay (`tests.bench.relay`: daphne, one
consumer in its channel-layer group, no session, no database) holding as many idle sockets, its
memory per socket computed the same way: the framework's floor, printed beside the product's
with the ratio, and the ratio to the 20 KB goal.

Uses the same database as the other server benches: PostgreSQL + Redis when DATABASE_URL and
REDIS_URL are set (a throw-away `bench_<random>` database), else the embedded default.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tests.bench.bench_messages import _keep_alive
from tests.bench.sequential import open_relay
from tests.bench.support import BenchDatabase, Server, env_int, open_socket, populate, table

RELAY_APP = "tests.bench.relay:application"

SETTLE_SECONDS = 2


async def _drain(ws: Any) -> None:
    with contextlib.suppress(Exception):
        async for _ in ws:
            pass


async def _hold(
    server: Server, openers: Sequence[Callable[[], Awaitable[Any]]], steps: list[int], ping: bool
) -> list[dict[str, Any]]:
    sockets: list[Any] = []
    rows = []
    readers: list[asyncio.Task[None]] = []
    gate = asyncio.Semaphore(50)
    stats = server.stats
    await asyncio.sleep(SETTLE_SECONDS)
    rows.append({"sockets": 0, "rss_mb": round(stats.rss_mb(), 1), "open_seconds": 0.0})

    async def one(opener: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            ws = await opener()
        # The web client's heartbeat from the opening on (the server drops a socket silent
        # for 35 s; the relay has no heartbeat), and its frames read.
        if ping:
            readers.append(asyncio.create_task(_keep_alive(ws)))
        readers.append(asyncio.create_task(_drain(ws)))
        return ws

    try:
        for target in steps:
            started = time.perf_counter()
            batch = openers[len(sockets) : target]
            opened = await asyncio.gather(*(one(s) for s in batch), return_exceptions=True)
            good = [ws for ws in opened if not isinstance(ws, BaseException)]
            failed = len(opened) - len(good)
            sockets.extend(good)
            seconds = time.perf_counter() - started
            await asyncio.sleep(SETTLE_SECONDS)
            rows.append(
                {
                    "sockets": len(sockets),
                    "failed": failed,
                    "rss_mb": round(stats.rss_mb(), 1),
                    "open_seconds": round(seconds, 1),
                    "opens_per_s": round(len(good) / max(seconds, 1e-6), 1),
                    "closed": sum(1 for ws in sockets if ws.close_code is not None),
                }
            )
            print(
                f"  {len(sockets)} sockets ouverts ({failed} échecs), RSS {rows[-1]['rss_mb']} Mo",
                flush=True,
            )
            if failed:
                break
        # Every socket still answers: a ping on a sample of them.
        alive = 0
        for ws in sockets[:: max(1, len(sockets) // 50)]:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.ping(), 10)
                alive += 1
        rows[-1]["sample_alive"] = alive
    finally:
        for task in readers:
            task.cancel()
        closing = [asyncio.wait_for(ws.close(), 10) for ws in sockets]
        await asyncio.gather(*closing, return_exceptions=True)
    return rows


def _per_socket(rows: list[dict[str, Any]]) -> tuple[float | None, float]:
    """KB per socket between the first and the last step, and on average from none."""
    first, last = rows[1] if len(rows) > 1 else rows[0], rows[-1]
    added = last["sockets"] - first["sockets"]
    per_socket = (last["rss_mb"] - first["rss_mb"]) * 1024 / added if added > 0 else None
    return per_socket, (last["rss_mb"] - rows[0]["rss_mb"]) * 1024 / max(1, last["sockets"])


def _print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    print(title)
    table(
        rows,
        [
            ("sockets", "sockets"),
            ("failed", "échecs"),
            ("rss_mb", "RSS Mo"),
            ("open_seconds", "ouverture s"),
            ("opens_per_s", "ouvertures/s"),
            ("closed", "fermés"),
        ],
    )


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def run(quick: bool) -> dict[str, Any]:
    total = env_int("BENCH_IDLE", 300 if quick else 10_000)
    steps = sorted({max(1, total * k // 4) for k in (1, 2, 3, 4)})
    database_url = os.environ.get("DATABASE_URL", "")
    postgres = database_url.startswith(("postgres://", "postgresql://"))
    redis_url = os.environ.get("REDIS_URL", "") if postgres else ""
    with BenchDatabase(postgres=postgres) as db:
        world = populate(db, total, 2)
        relay = Server(db.env(), redis_url, app=RELAY_APP).start()
        try:
            relay_openers = [
                functools.partial(open_relay, relay, f"idle{n}", f"idle{n ^ 1}")
                for n in range(total)
            ]
            floor_rows = asyncio.run(_hold(relay, relay_openers, steps, ping=False))
        finally:
            relay.stop()
        server = Server(db.env(), redis_url).start()
        try:
            openers = [
                functools.partial(open_socket, server, u["session"], timeout=60)
                for u in world["users"]
            ]
            rows = asyncio.run(_hold(server, openers, steps, ping=True))
        finally:
            server.stop()
    per_socket_kb, overall_kb = _per_socket(rows)
    floor_kb, floor_overall_kb = _per_socket(floor_rows)
    first, last = rows[1] if len(rows) > 1 else rows[0], rows[-1]
    setup = "pg+redis" if postgres else "embarqué"
    _print_rows(f"référence : relais Channels nu, un processus daphne ({setup}) :", floor_rows)
    _print_rows(f"Liaison, un processus daphne ({setup}) :", rows)
    ratio_floor = per_socket_kb / floor_kb if per_socket_kb and floor_kb else None
    print(
        f"mémoire par socket : {_round(per_socket_kb)} Ko (entre {first['sockets']} et "
        f"{last['sockets']} sockets), {overall_kb:.1f} Ko en moyenne depuis 0 ; référence "
        f"(relais nu, même run) {_round(floor_kb)} Ko ; rapport Liaison / référence "
        f"{_round(ratio_floor, 2)}"
    )
    print(
        f"objectif : {last['sockets']} sockets à 20 Ko au plus ; rapport à l'objectif "
        f"{_round(per_socket_kb and per_socket_kb / 20, 2)}"
    )
    return {
        "setup": setup,
        "sockets_held": last["sockets"],
        "sample_alive": last.get("sample_alive"),
        "kb_per_socket": _round(per_socket_kb),
        "kb_per_socket_from_zero": round(overall_kb, 1),
        "reference_relay_kb_per_socket": _round(floor_kb),
        "reference_relay_kb_per_socket_from_zero": round(floor_overall_kb, 1),
        "ratio_to_reference": _round(ratio_floor, 2),
        "ratio_to_goal": _round(per_socket_kb and per_socket_kb / 20, 2),
        "steps": rows,
        "reference_steps": floor_rows,
    }
