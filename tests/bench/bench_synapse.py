"""Side by side with Matrix Synapse: the same two-person exchange on both, in the same run.

The bench installs `matrix-synapse` in its own virtualenv (var/bench/synapse-venv, kept between
runs), generates a config, lifts the rate limits, starts it on 127.0.0.1 with SQLite, registers
two users, creates a room and joins. User A sends `m.room.message` (its clock in the body) at
BENCH_SYNAPSE_RATE per second (default 10), COUNT messages (default 200, quick 50); user B
long-polls `/sync?since=…&timeout=30000` and takes the latency on receipt. The same exchange
(2 users, same rate and count) runs against our platform (one daphne, the embedded default, or
PostgreSQL + Redis when DATABASE_URL/REDIS_URL are set): A sends `message.send` on its socket,
B takes the latency on `message.new`. Prints both distributions and the ratios.

If Synapse cannot be installed or started, prints why and returns {"skipped": reason}.
Synapse is only ever started here, never by the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

from tests.bench.support import (
    BENCH_DIR,
    BenchDatabase,
    Server,
    env_float,
    env_int,
    free_port,
    open_socket,
    percentiles,
    populate,
    table,
)

VENV = BENCH_DIR / "synapse-venv"
RATE_ENV = {"WS_RATE_PER_SECOND": "100000", "WS_RATE_BURST": "100000"}

CONFIGURE = r"""
import sys, yaml
path, port = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    c = yaml.safe_load(f)
c["listeners"] = [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                   "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}]
c["database"] = {"name": "sqlite3", "args": {"database": c["database"]["args"]["database"]}}
high = {"per_second": 100000, "burst_count": 100000}
for key in ("rc_message", "rc_registration", "rc_admin_redaction", "rc_3pid_validation",
            "rc_registration_token_validity", "rc_presence", "rc_delayed_event_mgmt"):
    c[key] = dict(high)
c["rc_login"] = {"address": high, "account": high, "failed_attempts": high}
c["rc_joins"] = {"local": high, "remote": high}
c["rc_invites"] = {"per_room": high, "per_user": high, "per_issuer": high}
c["enable_registration"] = True
c["enable_registration_without_verification"] = True
c["federation_domain_whitelist"] = []
c["trusted_key_servers"] = []
c["suppress_key_server_warning"] = True
c["presence"] = {"enabled": False}
c["use_presence"] = False
c["report_stats"] = False
c["url_preview_enabled"] = False
with open(path, "w") as f:
    yaml.safe_dump(c, f)
"""


class SynapseUnavailable(Exception):
    pass


def _install() -> Path:
    python = VENV / "bin" / "python"
    if python.exists():
        check = subprocess.run([str(python), "-c", "import synapse"], capture_output=True)
        if check.returncode == 0:
            return python
    shutil.rmtree(VENV, ignore_errors=True)
    print("  installation de matrix-synapse dans var/bench/synapse-venv…", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "matrix-synapse"],
            check=True,
            timeout=600,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        raise SynapseUnavailable(f"pip install matrix-synapse failed: {exc.stderr[-500:]}") from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SynapseUnavailable(f"installing matrix-synapse failed: {exc}") from exc
    return python


class Synapse:
    def __init__(self, python: Path) -> None:
        self.python = python
        self.port = free_port()
        self.dir = BENCH_DIR / f"synapse_{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> Synapse:
        self.dir.mkdir(parents=True, exist_ok=True)
        config = self.dir / "homeserver.yaml"
        try:
            subprocess.run(
                [
                    str(self.python),
                    "-m",
                    "synapse.app.homeserver",
                    "--server-name",
                    "localhost",
                    "--config-path",
                    str(config),
                    "--data-directory",
                    str(self.dir),
                    "--generate-config",
                    "--report-stats=no",
                ],
                cwd=self.dir,
                check=True,
                timeout=120,
                capture_output=True,
            )
            subprocess.run(
                [str(self.python), "-c", CONFIGURE, str(config), str(self.port)],
                check=True,
                timeout=60,
                capture_output=True,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise SynapseUnavailable(f"Synapse config generation failed: {exc}") from exc
        log = (self.dir / "stderr.log").open("wb")
        self.process = subprocess.Popen(
            [str(self.python), "-m", "synapse.app.homeserver", "--config-path", str(config)],
            cwd=self.dir,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = (self.dir / "stderr.log").read_text(errors="replace")[-800:]
                raise SynapseUnavailable(f"Synapse exited at start-up: {tail}")
            try:
                status, _ = self.request("GET", "/_matrix/client/versions")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise SynapseUnavailable("Synapse did not answer within the start-up time")

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        token: str | None = None,
        conn: http.client.HTTPConnection | None = None,
        timeout: float = 40,
    ) -> tuple[int, dict[str, Any]]:
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            answer = conn.getresponse()
            data = answer.read()
            return answer.status, (json.loads(data) if data else {})
        finally:
            if own:
                conn.close()

    def register(self, name: str) -> str:
        body = {"username": name, "password": "bench-password-1", "auth": {"type": "m.login.dummy"}}
        status, answer = self.request("POST", "/_matrix/client/v3/register", body)
        if status != 200:
            raise SynapseUnavailable(f"registration refused: {status} {answer}")
        return str(answer["access_token"])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def _synapse_exchange(synapse: Synapse, count: int, rate: float) -> dict[str, Any]:
    alice, bob = synapse.register(f"alice{synapse.port}"), synapse.register(f"bob{synapse.port}")
    status, room = synapse.request(
        "POST", "/_matrix/client/v3/createRoom", {"preset": "private_chat"}, alice
    )
    if status != 200:
        raise SynapseUnavailable(f"createRoom: {status} {room}")
    room_id = urllib.parse.quote(room["room_id"])
    synapse.request(
        "POST",
        f"/_matrix/client/v3/rooms/{room_id}/invite",
        {"user_id": f"@bob{synapse.port}:localhost"},
        alice,
    )
    status, joined = synapse.request("POST", f"/_matrix/client/v3/rooms/{room_id}/join", {}, bob)
    if status != 200:
        raise SynapseUnavailable(f"join: {status} {joined}")
    event_filter = urllib.parse.quote(
        json.dumps(
            {
                "presence": {"types": []},
                "account_data": {"types": []},
                "room": {
                    "timeline": {"types": ["m.room.message"], "limit": 100},
                    "state": {"types": []},
                    "ephemeral": {"types": []},
                },
            }
        )
    )
    _, first = synapse.request("GET", f"/_matrix/client/v3/sync?filter={event_filter}", None, bob)
    since = first["next_batch"]
    latencies: list[float] = []
    errors = {"send": 0, "sync": 0}
    done = threading.Event()

    def receive() -> None:
        nonlocal since
        conn = http.client.HTTPConnection("127.0.0.1", synapse.port, timeout=40)
        deadline = time.monotonic() + count / rate + 60
        while len(latencies) < count and time.monotonic() < deadline and not done.is_set():
            path = f"/_matrix/client/v3/sync?since={since}&timeout=30000&filter={event_filter}"
            try:
                status, answer = synapse.request("GET", path, None, bob, conn)
            except (OSError, http.client.HTTPException):
                errors["sync"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", synapse.port, timeout=40)
                continue
            now = time.time()
            if status != 200:
                errors["sync"] += 1
                continue
            since = answer["next_batch"]
            for joined_room in answer.get("rooms", {}).get("join", {}).values():
                for event in joined_room.get("timeline", {}).get("events", []):
                    with contextlib.suppress(KeyError, ValueError, TypeError):
                        latencies.append((now - json.loads(event["content"]["body"])["t"]) * 1000)
        conn.close()

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    conn = http.client.HTTPConnection("127.0.0.1", synapse.port, timeout=40)
    begin = time.monotonic()
    try:
        for i in range(count):
            delay = begin + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            body = {"msgtype": "m.text", "body": json.dumps({"t": time.time(), "i": i})}
            path = f"/_matrix/client/v3/rooms/{room_id}/send/m.room.message/{uuid.uuid4().hex}"
            try:
                status, _ = synapse.request("PUT", path, body, alice, conn)
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", synapse.port, timeout=40)
            if status != 200:
                errors["send"] += 1
        receiver.join(timeout=30)
    finally:
        done.set()
        conn.close()
    return {
        "system": "Synapse",
        "messages": count,
        "received": len(latencies),
        "errors": sum(errors.values()) + count - len(latencies),
        **percentiles(latencies),
    }


async def _platform_exchange(
    server: Server, world: dict[str, Any], count: int, rate: float
) -> dict[str, Any]:
    alice = await open_socket(server, world["users"][0]["session"])
    bob = await open_socket(server, world["users"][1]["session"])
    conversation = world["conversations"][0]["id"]
    latencies: list[float] = []
    errors = 0

    async def receive() -> None:
        nonlocal errors
        async for raw in bob:
            frame = json.loads(raw)
            if frame.get("type") == "message.new":
                latencies.append((time.time() - json.loads(frame["message"]["body"])["t"]) * 1000)
                if len(latencies) >= count:
                    return

    async def drain_acks() -> None:
        nonlocal errors
        async for raw in alice:
            if json.loads(raw).get("type") == "error":
                errors += 1

    receiver = asyncio.create_task(receive())
    acks = asyncio.create_task(drain_acks())
    loop = asyncio.get_running_loop()
    begin = loop.time()
    try:
        for i in range(count):
            delay = begin + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            frame = {
                "type": "message.send",
                "conversation": conversation,
                "client_id": str(uuid.uuid4()),
                "body": json.dumps({"t": time.time(), "i": i}),
            }
            await alice.send(json.dumps(frame))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(receiver), 30)
    finally:
        receiver.cancel()
        acks.cancel()
        await asyncio.gather(receiver, acks, return_exceptions=True)
        await alice.close()
        await bob.close()
    return {
        "system": "Liaison",
        "messages": count,
        "received": len(latencies),
        "errors": errors + count - len(latencies),
        **percentiles(latencies),
    }


def _platform(count: int, rate: float) -> dict[str, Any]:
    database_url = os.environ.get("DATABASE_URL", "")
    postgres = database_url.startswith(("postgres://", "postgresql://"))
    redis_url = os.environ.get("REDIS_URL", "") if postgres else ""
    with BenchDatabase(postgres=postgres) as db:
        world = populate(db, 2, 2)
        server = Server(db.env(), redis_url, **RATE_ENV).start()
        try:
            row = asyncio.run(_platform_exchange(server, world, count, rate))
        finally:
            server.stop()
    row["system"] = "Liaison (pg+redis)" if postgres else "Liaison (embarqué)"
    return row


def run(quick: bool) -> dict[str, Any]:
    count = env_int("BENCH_SYNAPSE_COUNT", 50 if quick else 200)
    rate = env_float("BENCH_SYNAPSE_RATE", 10.0)
    try:
        python = _install()
        synapse = Synapse(python)
        try:
            synapse.start()
            print(f"  Synapse démarré sur 127.0.0.1:{synapse.port} (SQLite)", flush=True)
            theirs = _synapse_exchange(synapse, count, rate)
        finally:
            synapse.stop()
    except SynapseUnavailable as exc:
        print(f"Synapse indisponible, comparaison sautée : {exc}")
        return {"skipped": str(exc)}
    ours = _platform(count, rate)
    print(f"{count} messages, {rate:g}/s, 2 personnes ; latence envoi -> réception (ms)")
    rows = [ours, theirs]
    ratio: dict[str, Any] = {"system": "ratio Synapse / Liaison"}
    for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"):
        if ours.get(key) and theirs.get(key):
            ratio[key] = round(theirs[key] / ours[key], 2)
    table(
        [*rows, ratio],
        [
            ("system", "système"),
            ("messages", "messages"),
            ("received", "reçus"),
            ("errors", "erreurs"),
            ("p50_ms", "p50"),
            ("p95_ms", "p95"),
            ("p99_ms", "p99"),
            ("max_ms", "max"),
        ],
    )
    return {"count": count, "rate": rate, "platform": ours, "synapse": theirs, "ratio": ratio}
