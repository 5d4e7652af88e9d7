"""Message latency and throughput over the real WebSocket: N signed-in clients (BENCH_CLIENTS,
default 200, quick 50) in conversations of 2 and of 10, a steady rate of `message.send`
(BENCH_RATE sends/s in total, default 40), for BENCH_SECONDS (default 30, quick 8) per scenario.

Each body carries the sender's clock (time.time()); every other participant's socket takes the
latency on `message.new` (same machine, same clock). Figures per scenario: send-to-receive
p50/p95/p99 over all receivers, ack latency, messages/s acknowledged and deliveries/s, errors
(error frames + deliveries never received), server CPU (% of one core) and RSS.

Two set-ups: the embedded default (one daphne, SQLite, in-memory channel layer) and, with
DATABASE_URL and REDIS_URL, PostgreSQL + Redis + 2 daphne processes (the clients alternate
between them, so most fan-out crosses Redis). The clients run in this process on the same
2 cores, so the figures include their CPU competition.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
import uuid
from typing import Any

from tests.bench.support import (
    BenchDatabase,
    Server,
    env_float,
    env_int,
    open_socket,
    percentiles,
    populate,
    table,
)

RATE_ENV = {"WS_RATE_PER_SECOND": "100000", "WS_RATE_BURST": "100000"}
DRAIN_SECONDS = 15
WARMUP_SECONDS = 2


PING_SECONDS = 10.0  # the web client's heartbeat: the server drops a socket silent for 35 s


async def _keep_alive(ws: Any) -> None:
    with contextlib.suppress(Exception):
        while True:
            await asyncio.sleep(PING_SECONDS * random.uniform(0.8, 1.0))
            await ws.send('{"type": "ping"}')


async def _open_all(
    servers: list[Server], users: list[dict[str, Any]], pingers: list[asyncio.Task[None]]
) -> list[Any]:
    """Sockets of these users, each sending the web client's heartbeat from its opening (on a
    loaded machine opening 200 sockets can take longer than the server's silence limit)."""
    gate = asyncio.Semaphore(50)

    async def one(n: int, user: dict[str, Any]) -> Any:
        async with gate:
            ws = await open_socket(servers[n % len(servers)], user["session"])
            pingers.append(asyncio.create_task(_keep_alive(ws)))
            return ws

    return list(await asyncio.gather(*(one(n, u) for n, u in enumerate(users))))


async def _exchange(
    servers: list[Server],
    world: dict[str, Any],
    first_user: int,
    clients: int,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    users = world["users"][first_user : first_user + clients]
    conversation_of: dict[int, tuple[str, int]] = {}
    for conv in world["conversations"]:
        for member in conv["members"]:
            if first_user <= member < first_user + clients:
                conversation_of[member - first_user] = (conv["id"], len(conv["members"]))
    latencies: list[float] = []
    ack_latencies: list[float] = []
    sent_at: dict[str, float] = {}
    errors: dict[str, int] = {}
    state = {"received": 0, "acked": 0, "last": 0.0}
    started_open = time.perf_counter()
    pingers: list[asyncio.Task[None]] = []
    sockets = await _open_all(servers, users, pingers)
    open_seconds = time.perf_counter() - started_open

    async def reader(ws: Any) -> None:
        with contextlib.suppress(Exception):
            async for raw in ws:
                now = time.time()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "message.new":
                    body = json.loads(frame["message"]["body"])
                    if body.get("warm"):
                        continue
                    latencies.append((now - body["t"]) * 1000)
                    state["received"] += 1
                    state["last"] = now
                elif kind == "message.ack":
                    if frame.get("client_id", "").startswith("warm"):
                        continue
                    state["acked"] += 1
                    sent = sent_at.pop(frame.get("client_id", ""), None)
                    if sent is not None:
                        ack_latencies.append((now - sent) * 1000)
                elif kind == "error":
                    code = str(frame.get("code") or frame.get("error") or "error")
                    errors[code] = errors.get(code, 0) + 1

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    senders = list(conversation_of)
    random.Random(7).shuffle(senders)
    total = int(seconds * rate)
    expected = 0
    # Warm-up, out of the figures: one message per conversation-sender, WARMUP_SECONDS apart.
    for n, who in enumerate(senders[: int(WARMUP_SECONDS * rate)]):
        conv_id, _ = conversation_of[who]
        warm = {
            "type": "message.send",
            "conversation": conv_id,
            "client_id": f"warm-{n}-{uuid.uuid4()}",
            "body": json.dumps({"warm": True}),
        }
        await sockets[who].send(json.dumps(warm))
        await asyncio.sleep(1 / rate)
    await asyncio.sleep(1)
    cpu_before = [s.stats.cpu_seconds() for s in servers]
    client_cpu_before = time.process_time()
    loop = asyncio.get_running_loop()
    begin = loop.time()
    wall_begin = time.time()
    try:
        for i in range(total):
            delay = begin + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            who = senders[i % len(senders)]
            conv_id, size = conversation_of[who]
            client_id = str(uuid.uuid4())
            now = time.time()
            sent_at[client_id] = now
            frame = {
                "type": "message.send",
                "conversation": conv_id,
                "client_id": client_id,
                "body": json.dumps({"t": now, "i": i}),
            }
            try:
                await sockets[who].send(json.dumps(frame))
            except Exception:
                errors["send_failed"] = errors.get("send_failed", 0) + 1
                continue
            expected += size - 1
        send_seconds = loop.time() - begin
        drain_until = loop.time() + DRAIN_SECONDS
        while loop.time() < drain_until and (
            state["received"] < expected or state["acked"] < total
        ):
            await asyncio.sleep(0.1)
        elapsed = loop.time() - begin
        cpu = [s.stats.cpu_seconds() - b for s, b in zip(servers, cpu_before, strict=True)]
        client_cpu = time.process_time() - client_cpu_before
        rss = [s.stats.rss_mb() for s in servers]
    finally:
        for ws in sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)
        for task in readers + pingers:
            task.cancel()
        await asyncio.gather(*readers, *pingers, return_exceptions=True)
    missing = max(0, expected - state["received"])
    delivery_window = max(1e-6, (state["last"] or time.time()) - wall_begin)
    return {
        "clients": clients,
        "sends": total,
        "acked": state["acked"],
        "deliveries": state["received"],
        "missing": missing,
        "errors": sum(errors.values()) + missing + (total - state["acked"]),
        "error_kinds": errors,
        **percentiles(latencies),
        "ack_p50_ms": percentiles(ack_latencies)["p50_ms"],
        "ack_p99_ms": percentiles(ack_latencies)["p99_ms"],
        "sends_per_s": round(state["acked"] / max(send_seconds, 1e-6), 1),
        "deliveries_per_s": round(state["received"] / delivery_window, 1),
        "server_cpu_pct": round(100 * sum(cpu) / elapsed, 1),
        "client_cpu_pct": round(100 * client_cpu / elapsed, 1),
        "server_rss_mb": round(sum(rss), 1),
        "open_seconds": round(open_seconds, 1),
        "latencies_ms_sample": [round(x, 2) for x in latencies[:: max(1, len(latencies) // 500)]],
    }


def _setup(
    name: str, postgres: bool, processes: int, clients: int, rate: float, seconds: float
) -> list[dict[str, Any]]:
    rows = []
    redis_url = os.environ.get("REDIS_URL", "") if postgres else ""
    with BenchDatabase(postgres=postgres) as db:
        started = time.perf_counter()
        world_two = populate(db, clients, 2, offset=0)
        world_ten = populate(db, clients, 10, offset=clients)
        print(
            f"  [{name}] base prête ({2 * clients} utilisateurs) en "
            f"{time.perf_counter() - started:.1f} s"
        )
        servers = [Server(db.env(), redis_url, **RATE_ENV) for _ in range(processes)]
        try:
            for server in servers:
                server.start()
            for size, world in ((2, world_two), (10, world_ten)):
                row = asyncio.run(_exchange(servers, world, 0, clients, rate, seconds))
                row.update(setup=name, group=size, processes=processes, rate=rate)
                print(
                    f"  [{name}] groupes de {size} : p50 {row['p50_ms']} ms, p99 "
                    f"{row['p99_ms']} ms, erreurs {row['errors']}",
                    flush=True,
                )
                rows.append(row)
        finally:
            for server in servers:
                server.stop()
    return rows


def run(quick: bool) -> dict[str, Any]:
    clients = env_int("BENCH_CLIENTS", 50 if quick else 200)
    rate = env_float("BENCH_RATE", 40.0)
    seconds = env_float("BENCH_SECONDS", 8 if quick else 30)
    print(f"{clients} clients, {rate:g} envois/s au total, {seconds:g} s par scénario")
    rows = _setup("embarqué", False, 1, clients, rate, seconds)
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")) and os.environ.get("REDIS_URL"):
        rows += _setup("pg+redis", True, 2, clients, rate, seconds)
    else:
        print("  (DATABASE_URL PostgreSQL et REDIS_URL absents : scénario pg+redis sauté)")
    print()
    table(
        rows,
        [
            ("setup", "set-up"),
            ("processes", "daphne"),
            ("group", "groupe"),
            ("clients", "clients"),
            ("sends_per_s", "envois/s"),
            ("deliveries_per_s", "reçus/s"),
            ("p50_ms", "p50 ms"),
            ("p95_ms", "p95 ms"),
            ("p99_ms", "p99 ms"),
            ("ack_p50_ms", "ack p50"),
            ("errors", "erreurs"),
            ("server_cpu_pct", "CPU srv %"),
            ("client_cpu_pct", "CPU clients %"),
            ("server_rss_mb", "RSS Mo"),
        ],
    )
    return {"clients": clients, "rate": rate, "seconds": seconds, "scenarios": rows}
