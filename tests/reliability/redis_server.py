"""A private redis-server on a loopback port, so that a test can kill and restart it without
touching the Redis the rest of the suite shares."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from typing import IO

from tests.servers import free_port


class RedisServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Await the server's own "ready" line rather than polling the port.
        deadline = time.monotonic() + timeout
        output: IO[str] = self.process.stdout  # type: ignore[assignment]
        lines = []
        for line in output:
            lines.append(line)
            if "Ready to accept connections" in line:
                return self
            if time.monotonic() > deadline:
                break
        self.kill()
        raise RuntimeError("redis-server did not start: " + "".join(lines[-20:]))

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)
        if self.process and self.process.stdout:
            self.process.stdout.close()
