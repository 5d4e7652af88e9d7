"""The fuzzing run against a real server: 10,000 generated WebSocket frames (the strategies of
test_ws_fuzz.py) sent to daphne over a real socket while /healthz is sampled. Zero server
errors, zero closed sockets (except after a frame past the documented size limit), and the
/healthz p99 during the run is printed beside its 100 ms goal (a figure, not a timed
assertion: timing goals are reported, never asserted, in the suite)."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from conversations import actions
from tests.reliability.test_ws_fuzz import FOREIGN, OWN, frames, substitute
from tests.servers import Daphne

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]

FRAMES = 10_000
P99_BUDGET = 0.100  # seconds


class HealthSampler(threading.Thread):
    """GET /healthz every 50 ms on its own connection; keeps each answer's duration."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.durations: list[float] = []
        self.failures: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
            except OSError as exc:
                self.failures.append(repr(exc))
                continue
            self.durations.append(time.perf_counter() - started)
            if status != 200:
                self.failures.append(f"/healthz answered {status}")
            self.stopping.wait(0.05)

    def p99(self) -> float:
        ordered = sorted(self.durations)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def test_ten_thousand_frames_against_a_real_server(personas):
    own, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    foreign, _ = actions.create_conversation(personas.nurse, users=[personas.coordinator])
    ids = {OWN: str(own.pk), FOREIGN: str(foreign.pk)}
    browser = Client()
    browser.force_login(personas.gp)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    # The flood guard would answer rate_limited: here every frame must reach its handler.
    with Daphne(WS_RATE_PER_SECOND="100000", WS_RATE_BURST="100000") as server:
        headers = {"Cookie": cookie, "Origin": server.base}

        def open_socket() -> ClientConnection:
            socket = connect(server.ws_url, additional_headers=headers, max_size=None)
            assert json.loads(socket.recv(timeout=10))["type"] == "hello"
            return socket

        state: dict[str, Any] = {"socket": open_socket(), "sent": 0, "closes": []}
        server_errors: list[str] = []
        pings = itertools.count()
        sampler = HealthSampler(server.port)
        sampler.start()

        @hypothesis_settings(
            max_examples=FRAMES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(frame=frames)
        def fuzz(frame: Any) -> None:
            frame = substitute(frame, ids)
            data = frame if isinstance(frame, str | bytes) else json.dumps(frame)
            size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
            ref = f"ping-{next(pings)}"
            state["sent"] += 1
            try:
                socket = state["socket"]
                if isinstance(data, str):
                    # Lone surrogates cannot travel as UTF-8 text: a client sends them escaped.
                    data = data.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                socket.send(data)
                socket.send(json.dumps({"type": "ping", "ref": ref}))
                while True:
                    answer = json.loads(socket.recv(timeout=10))
                    if answer.get("type") == "error" and answer.get("code") == "server_error":
                        server_errors.append(f"{frame!r:.200}")
                    if answer.get("type") == "pong" and answer.get("ref") == ref:
                        return
            except ConnectionClosed:
                state["closes"].append(size)
                state["socket"] = open_socket()

        try:
            fuzz()
            server_log = server.log_tail(6000) if server_errors else ""
        finally:
            sampler.stopping.set()
            sampler.join(timeout=10)
            state["socket"].close()
    p99 = sampler.p99()
    print(
        f"\nfuzzing run: {state['sent']} frames, {len(server_errors)} server errors, "
        f"{len(state['closes'])} closed sockets; /healthz p99 {p99 * 1000:.1f} ms "
        f"over {len(sampler.durations)} probes (goal {P99_BUDGET * 1000:.0f} ms: "
        f"{'met' if p99 < P99_BUDGET else 'NOT met'})"
    )
    assert state["sent"] >= FRAMES
    assert not server_errors, (server_errors[:5], server_log)
    limit = settings.WS_MAX_FRAME_BYTES
    assert all(size > limit for size in state["closes"]), state["closes"]
    assert not sampler.failures, sampler.failures[:5]
    assert len(sampler.durations) >= 20, "/healthz was sampled throughout the run"
