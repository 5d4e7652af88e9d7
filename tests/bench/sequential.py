"""One-to-one messages sent one after the other (the next when the previous one arrived), the
way issue #21 measures the message path: server CPU per message (ack + delivery) from the
daphne's /proc counters around the run, and send-to-receive latency at the other socket.

Used for the product (`/ws/`, signed-in sessions) and for the bare relay (`tests.bench.relay`),
so both are measured by the same code."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from tests.bench.support import ProcStats, Server, open_socket, percentiles

WARMUP = 20


async def open_relay(server: Server, me: str, peer: str) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(
        f"{server.ws_url}?me={me}&peer={peer}",
        additional_headers={"Origin": server.base},
        max_queue=None,
        ping_interval=None,
    )
    hello = json.loads(await ws.recv())
    assert hello["type"] == "hello", hello
    return ws


async def _next(ws: Any, kind: str, client_id: str) -> float:
    """Perf-counter time at which the frame of this type and client_id arrived."""
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("type") == "error":
            raise RuntimeError(f"error frame: {frame}")
        if frame.get("type") != kind:
            continue  # presence and other chatter
        message = frame.get("message") or {}
        if (frame.get("client_id") or message.get("client_id")) == client_id:
            return time.perf_counter()


async def exchange(
    sender: Any, receiver: Any, conversation: str, count: int, servers: list[ProcStats]
) -> dict[str, Any]:
    """`count` messages from sender to receiver after WARMUP unmeasured ones."""
    latencies: list[float] = []
    acks: list[float] = []
    cpu_before = 0.0
    wall = 0.0
    for i in range(WARMUP + count):
        if i == WARMUP:
            cpu_before = sum(s.cpu_seconds() for s in servers)
            wall = time.perf_counter()
        client_id = str(uuid.uuid4())
        frame = {
            "type": "message.send",
            "conversation": conversation,
            "client_id": client_id,
            "body": f"Message de test numéro {i}, sans donnée de santé.",
        }
        started = time.perf_counter()
        await sender.send(json.dumps(frame))
        received = await asyncio.wait_for(_next(receiver, "message.new", client_id), 30)
        acked = await asyncio.wait_for(_next(sender, "message.ack", client_id), 30)
        if i >= WARMUP:
            latencies.append((received - started) * 1000)
            acks.append((acked - started) * 1000)
    cpu = sum(s.cpu_seconds() for s in servers) - cpu_before
    wall = time.perf_counter() - wall
    return {
        "messages": count,
        "cpu_ms_per_message": round(cpu * 1000 / count, 2),
        "server_cpu_seconds": round(cpu, 2),
        "wall_seconds": round(wall, 2),
        **percentiles(latencies),
        "ack_p50_ms": percentiles(acks)["p50_ms"],
    }


async def product_pair(server: Server, world: dict[str, Any]) -> tuple[Any, Any, str]:
    """Sockets of the first conversation's first two members, and its id."""
    conversation = world["conversations"][0]
    a, b = (world["users"][n]["session"] for n in conversation["members"][:2])
    return await open_socket(server, a), await open_socket(server, b), conversation["id"]


def ratio(figure: float | None, floor: float | None) -> float | None:
    if not figure or not floor:
        return None
    return round(figure / floor, 1)
