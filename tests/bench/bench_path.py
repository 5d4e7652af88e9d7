"""Issue #21, goal 1: the message path against the framework's floor, in the same run.

200 one-to-one messages (BENCH_PATH_COUNT; quick 50), one after the other, on one daphne: first
through the bare Channels relay (`tests.bench.relay`: no database, no session, no validation),
then through the product (`/ws/` `message.send`: validation, durable write with its seq, read
state and audit row, ack and delivery). Figures: server CPU per message (daphne's user+system
time around the run, /proc) and send-to-receive p50/p99, with the ratio product / floor.
Goal: both ratios at most 3. Two set-ups: the embedded default (SQLite, in-memory layer) and,
with DATABASE_URL and REDIS_URL, PostgreSQL + Redis. On PostgreSQL a second reference is printed
beside the p50: the relay's p50 plus the p50 of a durable write alone (a one-row INSERT, its WAL
flushed before the answer), which the relay does not make and no send can skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

from tests.bench.sequential import exchange, open_relay, product_pair, ratio
from tests.bench.support import BenchDatabase, Server, env_int, percentiles, populate, table

RATE_ENV = {"WS_RATE_PER_SECOND": "100000", "WS_RATE_BURST": "100000"}
RELAY_APP = "tests.bench.relay:application"


async def _relay(server: Server, count: int) -> dict[str, Any]:
    a = await open_relay(server, "a", "b")
    b = await open_relay(server, "b", "a")
    try:
        return await exchange(a, b, "relay", count, [server.stats])
    finally:
        for ws in (a, b):
            with contextlib.suppress(Exception):
                await ws.close()


async def _product(server: Server, world: dict[str, Any], count: int) -> dict[str, Any]:
    a, b, conversation = await product_pair(server, world)
    try:
        return await exchange(a, b, conversation, count, [server.stats])
    finally:
        for ws in (a, b):
            with contextlib.suppress(Exception):
                await ws.close()


def measure(postgres: bool, count: int) -> dict[str, Any]:
    redis_url = os.environ.get("REDIS_URL", "") if postgres else ""
    with BenchDatabase(postgres=postgres) as db:
        world = populate(db, 2, 2)
        relay = Server(db.env(), redis_url, app=RELAY_APP).start()
        try:
            floor = asyncio.run(_relay(relay, count))
        finally:
            relay.stop()
        product = Server(db.env(), redis_url, **RATE_ENV).start()
        try:
            figure = asyncio.run(_product(product, world, count))
        finally:
            product.stop()
        result = {"product": figure, "relay": floor}
        if postgres:
            result["commit"] = durable_write(db.url, count)
    return result


def durable_write(url: str, count: int) -> dict[str, Any]:
    """The database's own floor: one-row INSERTs, each its own transaction (its WAL flushed
    before the answer, as every message's), one after the other on one connection."""
    import psycopg

    times = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_durable (id bigserial PRIMARY KEY, body text)")
        for n in range(count):
            started = time.perf_counter()
            conn.execute("INSERT INTO bench_durable (body) VALUES (%s)", [f"message {n}"])
            times.append((time.perf_counter() - started) * 1000)
    return percentiles(times)


def rows_of(setup: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    product, relay = result["product"], result["relay"]
    rows = []
    for key, label in (("cpu_ms_per_message", "CPU ms/message"), ("p50_ms", "p50 ms")):
        rows.append(
            {
                "setup": setup,
                "figure": label,
                "product": product[key],
                "floor": relay[key],
                "ratio": ratio(product[key], relay[key]),
                "goal": "≤ 3",
            }
        )
    if "commit" in result:  # the durable write the relay does not make, measured alone
        with_commit = round(relay["p50_ms"] + result["commit"]["p50_ms"], 2)
        rows.append(
            {
                "setup": setup,
                "figure": "p50 ms / relais + écriture durable",
                "product": product["p50_ms"],
                "floor": with_commit,
                "ratio": ratio(product["p50_ms"], with_commit),
                "goal": "-",
            }
        )
    rows.append(
        {
            "setup": setup,
            "figure": "p99 ms",
            "product": product["p99_ms"],
            "floor": relay["p99_ms"],
            "ratio": ratio(product["p99_ms"], relay["p99_ms"]),
            "goal": "-",
        }
    )
    return rows


def run(quick: bool) -> dict[str, Any]:
    count = env_int("BENCH_PATH_COUNT", 50 if quick else 200)
    print(f"{count} messages à deux, l'un après l'autre ; relais Channels nu = plancher")
    results = {"embarqué": measure(False, count)}
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")) and os.environ.get("REDIS_URL"):
        results["pg+redis"] = measure(True, count)
    else:
        print("  (DATABASE_URL PostgreSQL et REDIS_URL absents : scénario pg+redis sauté)")
    rows = [row for setup, result in results.items() for row in rows_of(setup, result)]
    table(
        rows,
        [
            ("setup", "set-up"),
            ("figure", "mesure"),
            ("product", "Liaison"),
            ("floor", "relais nu"),
            ("ratio", "ratio"),
            ("goal", "objectif"),
        ],
    )
    return {"count": count, "results": results, "rows": rows}
