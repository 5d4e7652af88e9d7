"""Real server processes for multi-process tests: daphne on loopback, against the test database
and the real Redis. Each process is started, waited for (/healthz), and killed at the end."""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# Every process started here, so that none outlives its test (see stop_all and conftest.py).
_started: list[Daphne] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_database_url() -> str:
    """The URL of the database the tests run on (pytest-django renamed it to test_...)."""
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


class Daphne:
    def __init__(
        self, port: int | None = None, app: str = "backend.asgi:application", **env: str
    ) -> None:
        self.port = port or free_port()
        self.app = app
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the object

    def log_tail(self, size: int = 2000) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/"

    def start(self, timeout: float = 30) -> Daphne:
        env = {
            **os.environ,
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            **self.env,
        }
        if "DATABASE_URL" not in self.env:
            env["DATABASE_URL"] = test_database_url()
        # The browser tests set it in their own process (Playwright runs an event loop there);
        # the server under test keeps Django's guard, as in production: a synchronous query on
        # its event loop must fail loudly, not silently hold every request behind it.
        if "DJANGO_ALLOW_ASYNC_UNSAFE" not in self.env:
            env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                self.app,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: nobody reads a pipe while the test runs, and a full one would
            # block the server mid-test.
            stderr=self.log,
        )
        _started.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as answer:  # noqa: S310
                    if answer.status == 200:
                        return self._warmed_up(deadline)
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise TimeoutError("daphne did not start")

    def _warmed_up(self, deadline: float) -> Daphne:
        """/healthz is answered before URL resolution: the first request through Django imports
        every view, DRF and the API schema (14 s for a first page on a machine loaded 8 times
        over, 0.3 s afterwards). It is paid here, before the test's first page load."""
        with contextlib.suppress(urllib.error.HTTPError):  # a 401: Django answered
            urllib.request.urlopen(  # noqa: S310
                f"{self.base}/api/me", timeout=max(5.0, deadline - time.monotonic())
            ).close()
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> Daphne:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.kill(signal.SIGTERM)


def stop_all() -> None:
    """Kills what a test started and left running (a server restarted after a crash test)."""
    while _started:
        _started.pop().kill()


atexit.register(stop_all)
