"""Issue #21, goal 4: costs that stay flat as data grows. Server CPU per message (200 one-to-one
messages one after the other, as `bench_path`) in a conversation of 10 messages and of 100,000
(BENCH_FLAT_MESSAGES), and for a sender with 5 conversations and with 5,000
(BENCH_FLAT_CONVERSATIONS). Goal: the large case within 20 % of the small one. One daphne on
PostgreSQL + Redis when DATABASE_URL and REDIS_URL are set, else the embedded default.

(The page costs themselves are fixed query counts, asserted in the suite:
tests/integration/test_query_counts.py.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from tests.bench.sequential import exchange, product_pair
from tests.bench.support import BenchDatabase, Server, env_int, grow, populate, table

RATE_ENV = {"WS_RATE_PER_SECOND": "100000", "WS_RATE_BURST": "100000"}


async def _measure(server: Server, world: dict[str, Any], count: int) -> dict[str, Any]:
    a, b, conversation = await product_pair(server, world)
    try:
        return await exchange(a, b, conversation, count, [server.stats])
    finally:
        for ws in (a, b):
            with contextlib.suppress(Exception):
                await ws.close()


def _case(postgres: bool, redis_url: str, count: int, spec: dict[str, Any]) -> dict[str, Any]:
    with BenchDatabase(postgres=postgres) as db:
        world = populate(db, 2, 2)
        users = [u["id"] for u in world["users"]]
        conversation = world["conversations"][0]["id"]
        if spec.get("messages"):
            grow(
                db, {"conversation": conversation, "sender": users[1], "messages": spec["messages"]}
            )
        if spec.get("conversations"):
            grow(db, {"users": users, "conversations": spec["conversations"]})
        server = Server(db.env(), redis_url, **RATE_ENV).start()
        try:
            return asyncio.run(_measure(server, world, count))
        finally:
            server.stop()


def run(quick: bool) -> dict[str, Any]:
    count = env_int("BENCH_FLAT_COUNT", 50 if quick else 200)
    big_history = env_int("BENCH_FLAT_MESSAGES", 10_000 if quick else 100_000)
    many = env_int("BENCH_FLAT_CONVERSATIONS", 500 if quick else 5_000)
    database_url = os.environ.get("DATABASE_URL", "")
    postgres = database_url.startswith(("postgres://", "postgresql://"))
    redis_url = os.environ.get("REDIS_URL", "") if postgres else ""
    setup = "pg+redis" if postgres else "embarqué"
    print(f"{count} messages à deux l'un après l'autre, une daphne ({setup})")
    cases = {
        "history_small": {"messages": 10 - 0},
        "history_large": {"messages": big_history},
        "conversations_small": {"conversations": 5 - 1},
        "conversations_large": {"conversations": many - 1},
    }
    results = {name: _case(postgres, redis_url, count, spec) for name, spec in cases.items()}
    rows = []
    for label, small, large in (
        (f"conversation de 10 / {big_history} messages", "history_small", "history_large"),
        (f"expéditeur à 5 / {many} conversations", "conversations_small", "conversations_large"),
    ):
        a = results[small]["cpu_ms_per_message"]
        b = results[large]["cpu_ms_per_message"]
        rows.append(
            {
                "case": label,
                "small": a,
                "large": b,
                "ratio": round(b / a, 2) if a else None,
                "p50_small": results[small]["p50_ms"],
                "p50_large": results[large]["p50_ms"],
                "goal": "≤ 1.2",
            }
        )
    table(
        rows,
        [
            ("case", "cas"),
            ("small", "CPU ms/msg petit"),
            ("large", "CPU ms/msg grand"),
            ("ratio", "ratio"),
            ("goal", "objectif"),
            ("p50_small", "p50 petit"),
            ("p50_large", "p50 grand"),
        ],
    )
    return {"setup": setup, "count": count, "results": results, "rows": rows}
