"""Issue #21, goal 2: the highest send rate two daphne processes on PostgreSQL + Redis sustain
with p99 under 100 ms and no error, in groups of 2 and of 10 (goal: 400 sends/s in groups of 2).

The rate climbs in steps (BENCH_SAT_RATES, default 10,25,50,100,…,600 sends/s in all)
of BENCH_SAT_SECONDS each (default 6, quick 3), over BENCH_SAT_CLIENTS sockets (default 200)
alternating between the two processes, with the exchange of `bench_messages` (latency from the
sender's clock in the body to `message.new` at each other participant; errors = error frames,
unacknowledged sends and deliveries never received). A group size stops at its first failing
step, after an unrecorded warm-up step. The load generator runs in this process on the same
2 cores as the servers, PostgreSQL and Redis: it is part of what saturates.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from tests.bench.bench_messages import RATE_ENV, _exchange
from tests.bench.support import BenchDatabase, Server, env_float, env_int, populate, table

P99_LIMIT_MS = 100.0
WARM_UP_SECONDS = 2.0
GOAL = 400.0


def _rates() -> list[float]:
    raw = os.environ.get("BENCH_SAT_RATES", "10,25,50,100,200,300,400,500,600")
    return [float(r) for r in raw.split(",") if r.strip()]


def run(quick: bool) -> dict[str, Any]:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        print("  (DATABASE_URL PostgreSQL et REDIS_URL absents : saturation sautée)")
        return {"skipped": "PostgreSQL + Redis needed"}
    clients = env_int("BENCH_SAT_CLIENTS", 200)
    seconds = env_float("BENCH_SAT_SECONDS", 3 if quick else 6)
    rates = _rates()[:3] if quick else _rates()
    rows: list[dict[str, Any]] = []
    best: dict[int, dict[str, Any] | None] = {}
    with BenchDatabase(postgres=True) as db:
        worlds = {
            2: populate(db, clients, 2, offset=0),
            10: populate(db, clients, 10, offset=clients),
        }
        servers = [Server(db.env(), redis_url, **RATE_ENV) for _ in range(2)]
        try:
            for server in servers:
                server.start()
            for size, world in worlds.items():
                best[size] = None
                # One short unrecorded step first: each group's first sends pay cold caches
                # (people, participants, connections) that say nothing about a sustained rate.
                asyncio.run(_exchange(servers, world, 0, clients, rates[0], WARM_UP_SECONDS))
                for rate in rates:
                    row = asyncio.run(_exchange(servers, world, 0, clients, rate, seconds))
                    ok = row["errors"] == 0 and (row["p99_ms"] or 0) < P99_LIMIT_MS
                    row.update(group=size, rate=rate, ok="oui" if ok else "non")
                    row.pop("latencies_ms_sample", None)
                    rows.append(row)
                    print(
                        f"  groupes de {size}, {rate:g} envois/s : p99 {row['p99_ms']} ms, "
                        f"erreurs {row['errors']}, reçus/s {row['deliveries_per_s']}",
                        flush=True,
                    )
                    if not ok:
                        break
                    best[size] = row
        finally:
            for server in servers:
                server.stop()
    print()
    table(
        rows,
        [
            ("group", "groupe"),
            ("rate", "visé/s"),
            ("sends_per_s", "envois/s"),
            ("deliveries_per_s", "reçus/s"),
            ("p50_ms", "p50 ms"),
            ("p99_ms", "p99 ms"),
            ("errors", "erreurs"),
            ("server_cpu_pct", "CPU srv %"),
            ("client_cpu_pct", "CPU clients %"),
            ("ok", "tenu"),
        ],
    )
    summary = []
    for size, found in best.items():
        row = found or {}
        reached = row.get("sends_per_s", 0.0)
        summary.append(
            {
                "group": size,
                "sends_per_s": reached,
                "deliveries_per_s": row.get("deliveries_per_s", 0.0),
                "goal": GOAL if size == 2 else None,
                "ratio": round(reached / GOAL, 2) if size == 2 else None,
            }
        )
    print("débit le plus haut tenu (p99 < 100 ms, aucune erreur), 2 daphne, PostgreSQL + Redis :")
    table(
        summary,
        [
            ("group", "groupe"),
            ("sends_per_s", "envois/s"),
            ("deliveries_per_s", "reçus/s"),
            ("goal", "objectif"),
            ("ratio", "ratio"),
        ],
    )
    return {"clients": clients, "seconds": seconds, "steps": rows, "best": summary}
