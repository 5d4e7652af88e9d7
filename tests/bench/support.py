"""Shared helpers for the server benchmarks (messages, synapse, idle).

- `BenchDatabase`: a throw-away database. With DATABASE_URL (PostgreSQL), a new database
  `bench_<random>` on that server, created and dropped; without it, the embedded default (SQLite
  under var/bench/<random>/ through PLATFORM_VAR_DIR). Migrated by `manage.py migrate` in a
  subprocess; the benchmark process's own database connection is never pointed at it.
- `populate()`: N users with professional, membership, a signed-in session each, in
  conversations of a given size; bulk inserts, done in a subprocess on that database.
- `Server`: a daphne process with its own environment, stderr to a file, killed at the end;
  `ProcStats` reads its CPU time and RSS from /proc.
- `open_socket()`, `percentiles()`, `table()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.servers import Daphne
from tests.servers import free_port as free_port  # re-exported for the benches

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "var" / "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw.strip() else default


# --- database ----------------------------------------------------------------------------------
class BenchDatabase:
    """`postgres=True` needs DATABASE_URL (PostgreSQL); otherwise the embedded SQLite default."""

    def __init__(self, postgres: bool) -> None:
        self.suffix = secrets.token_hex(4)
        self.postgres = postgres
        self.server_url = os.environ.get("DATABASE_URL", "")
        self.var_dir = BENCH_DIR / f"run_{self.suffix}"
        self.name = f"bench_{self.suffix}"
        self.url = ""
        if postgres:
            if not self.server_url.startswith(("postgres://", "postgresql://")):
                raise RuntimeError("PostgreSQL scenario without a PostgreSQL DATABASE_URL")
            parts = urllib.parse.urlsplit(self.server_url)
            self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))

    def env(self) -> dict[str, str]:
        """Variables a child process needs to use this database (and nothing else)."""
        if self.postgres:
            return {"DATABASE_URL": self.url, "PLATFORM_VAR_DIR": str(self.var_dir)}
        return {"DATABASE_URL": "", "PLATFORM_VAR_DIR": str(self.var_dir)}

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(sql.encode())

    def create(self) -> BenchDatabase:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        if self.postgres:
            self._admin(f'CREATE DATABASE "{self.name}"')
        run_manage(["migrate", "--noinput", "-v", "0"], self.env())
        return self

    def drop(self) -> None:
        if self.postgres:
            with contextlib.suppress(Exception):
                self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.var_dir, ignore_errors=True)

    def __enter__(self) -> BenchDatabase:
        try:
            return self.create()
        except BaseException:
            self.drop()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.drop()


def child_env(extra: dict[str, str], redis_url: str = "") -> dict[str, str]:
    env = {**os.environ, "LOG_LEVEL": "WARNING", "REDIS_URL": redis_url, **extra}
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run_manage(args: list[str], extra: dict[str, str], timeout: float = 300) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_env(extra),
        check=True,
        timeout=timeout,
        capture_output=True,
    )


def populate(db: BenchDatabase, users: int, group_size: int, offset: int = 0) -> dict[str, Any]:
    """Users (with sessions) and conversations of `group_size`, in a subprocess on `db`.
    Returns {"users": [{"id", "session"}...], "conversations": [[user index...]...] with ids}."""
    spec = json.dumps(
        {"users": users, "group_size": group_size, "suffix": db.suffix, "offset": offset}
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.support", "populate", spec],
        cwd=ROOT,
        env=child_env(db.env()),
        check=True,
        timeout=600,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _populate(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs inside the subprocess, Django set up on the bench database."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone

    from backend.accounts.identifiers import make_finess, make_rpps
    from backend.accounts.models import Membership, Organization, Professional, User
    from conversations.models import Conversation, Participant

    count, size, suffix = int(spec["users"]), int(spec["group_size"]), str(spec["suffix"])
    offset = int(spec.get("offset", 0))
    unusable = make_password(None)  # no hashing cost; sessions are made directly below
    with transaction.atomic():
        org = Organization.objects.create(
            name=f"Bench {suffix}", finess=make_finess(f"99{offset % 10**6:06d}"), kind="hospital"
        )
        users = User.objects.bulk_create(
            [
                User(username=f"bench-{suffix}-{offset + n}", password=unusable)
                for n in range(count)
            ],
            batch_size=1000,
        )
        pros = Professional.objects.bulk_create(
            [
                Professional(
                    user=u,
                    given_name="Bench",
                    family_name=f"U{n}",
                    rpps=make_rpps(f"8{offset + n:09d}"),
                    profession_code="10",
                )
                for n, u in enumerate(users)
            ],
            batch_size=1000,
        )
        Membership.objects.bulk_create(
            [Membership(professional=p, organization=org, role="clinician") for p in pros],
            batch_size=1000,
        )
        store = SessionStore()
        expiry = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        sessions = []
        keys = []
        for u in users:
            key = secrets.token_hex(16)
            data = {
                SESSION_KEY: str(u.pk),
                BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: u.get_session_auth_hash(),
            }
            sessions.append(
                Session(session_key=key, session_data=store.encode(data), expire_date=expiry)
            )
            keys.append(key)
        Session.objects.bulk_create(sessions, batch_size=1000)
        groups = [list(range(i, min(i + size, count))) for i in range(0, count, size)]
        groups = [g for g in groups if len(g) >= 2]
        conversations = Conversation.objects.bulk_create(
            [
                Conversation(kind="group", title=f"Bench {n}", created_by=users[g[0]])
                for n, g in enumerate(groups)
            ],
            batch_size=1000,
        )
        Participant.objects.bulk_create(
            [
                Participant(conversation=c, user=users[i], added_by=users[g[0]])
                for c, g in zip(conversations, groups, strict=True)
                for i in g
            ],
            batch_size=1000,
        )
    return {
        "users": [{"id": str(u.pk), "session": k} for u, k in zip(users, keys, strict=True)],
        "conversations": [
            {"id": str(c.pk), "members": g} for c, g in zip(conversations, groups, strict=True)
        ],
    }


def grow(db: BenchDatabase, spec: dict[str, Any]) -> None:
    """More data behind an existing world, in a subprocess on `db` (see `_grow`)."""
    subprocess.run(
        [sys.executable, "-m", "tests.bench.support", "grow", json.dumps(spec)],
        cwd=ROOT,
        env=child_env(db.env()),
        check=True,
        timeout=1200,
        capture_output=True,
    )


def _grow(spec: dict[str, Any]) -> None:
    """{"conversation", "sender", "messages": n}: n stored messages in that conversation (seq
    continuing, bulk inserted); {"users": [a, b], "conversations": n}: n more groups of a and b."""
    from django.db import transaction
    from django.db.models import F

    from conversations.models import Conversation, Message, Participant

    with transaction.atomic():
        if "messages" in spec:
            conversation = Conversation.objects.select_for_update().get(pk=spec["conversation"])
            start, count = conversation.last_seq, int(spec["messages"])
            for first in range(0, count, 5000):
                Message.objects.bulk_create(
                    [
                        Message(
                            conversation=conversation,
                            seq=start + n + 1,
                            sender_id=spec["sender"],
                            client_id=f"grow-{start + n + 1}-{conversation.pk}",
                            body=f"Message ancien {n}",
                        )
                        for n in range(first, min(count, first + 5000))
                    ]
                )
            Conversation.objects.filter(pk=conversation.pk).update(last_seq=F("last_seq") + count)
        if "conversations" in spec:
            a, b = spec["users"]
            made = Conversation.objects.bulk_create(
                [
                    Conversation(kind="group", title=f"Autre {n}", created_by_id=a)
                    for n in range(int(spec["conversations"]))
                ],
                batch_size=1000,
            )
            Participant.objects.bulk_create(
                [
                    Participant(conversation=c, user_id=u, added_by_id=a)
                    for c in made
                    for u in (a, b)
                ],
                batch_size=2000,
            )


# --- servers -----------------------------------------------------------------------------------
class ProcStats:
    """CPU seconds (user+system) and RSS of one process, from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def cpu_seconds(self) -> float:
        try:
            raw = Path(f"/proc/{self.pid}/stat").read_text()
        except OSError:
            return 0.0
        fields = raw[raw.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0


class Server(Daphne):
    """One daphne process on loopback with the bench's own database and environment."""

    def __init__(
        self,
        env: dict[str, str],
        redis_url: str = "",
        app: str = "backend.asgi:application",
        **settings_env: str,
    ) -> None:
        super().__init__(None, app, **child_env({**env, **settings_env}, redis_url))

    @property
    def stats(self) -> ProcStats:
        assert self.process is not None
        return ProcStats(self.process.pid)

    def start(self, timeout: float = 60) -> Server:
        super().start(timeout)
        return self

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


async def open_socket(server: Server, session: str, timeout: float = 30) -> Any:
    """A signed-in websocket, its `hello` frame read."""
    from websockets.asyncio.client import connect

    async with asyncio.timeout(timeout):
        ws = await connect(
            server.ws_url,
            additional_headers={"Cookie": f"sessionid={session}", "Origin": server.base},
            max_queue=None,
            ping_interval=None,
            open_timeout=timeout,
        )
        hello = json.loads(await ws.recv())
        if hello.get("type") != "hello":
            await ws.close()
            raise RuntimeError(f"no hello: {hello}")
        return ws


# --- figures -----------------------------------------------------------------------------------
def percentiles(values_ms: list[float]) -> dict[str, float | None]:
    if not values_ms:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values_ms)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {"p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0)}


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    """Print rows as a fixed-width table; columns are (key, header)."""
    widths = [max(len(h), *(len(_cell(r.get(k))) for r in rows)) for k, h in columns]
    print("  ".join(h.rjust(w) for (_, h), w in zip(columns, widths, strict=True)))
    for r in rows:
        cells = [_cell(r.get(k)).rjust(w) for (k, _), w in zip(columns, widths, strict=True)]
        print("  ".join(cells))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "populate":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        print(json.dumps(_populate(json.loads(sys.argv[2]))))
    elif len(sys.argv) == 3 and sys.argv[1] == "grow":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        _grow(json.loads(sys.argv[2]))
    else:
        raise SystemExit("usage: python -m tests.bench.support populate '<json spec>'")
