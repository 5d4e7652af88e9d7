"""Process-local metrics in the Prometheus text format (exposition format 0.0.4).

Each web process (one daphne per container or pod) is scraped on its own `/metrics`, so
process-local state is what Prometheus expects; no multiprocess mode is needed. Counters and
gauges take labels; histograms have fixed buckets. Labels are low-cardinality by construction
(method, status class, task name, outcome): never a path, a user or anything about a patient.

API used across the code base:
- `inc(name, amount=1, **labels)`: a counter;
- `gauge_add(name, amount, **labels)`: a gauge moved up or down;
- `observe(name, value, **labels)`: a histogram observation;
- `render()`: the exposition text.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import defaultdict
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

Labels = tuple[tuple[str, str], ...]

_lock = threading.Lock()
_counters: dict[tuple[str, Labels], float] = defaultdict(float)
_gauges: dict[tuple[str, Labels], float] = defaultdict(float)
# name -> labels -> (bucket counts (cumulative on render), sum, count)
_histograms: dict[str, dict[Labels, list[float]]] = defaultdict(dict)

DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BUCKETS: dict[str, tuple[float, ...]] = {}
HELP = {
    "liaison_http_requests_total": "HTTP requests answered, by method and status class",
    "liaison_http_request_duration_seconds": "HTTP request latency, by method",
    "liaison_messages_sent_total": "Messages stored",
    "liaison_ws_connections": "Open WebSocket connections in this process",
    "liaison_ws_frames_total": "WebSocket frames received, by type and outcome",
    "liaison_tasks_published_total": "Celery tasks queued to the broker by this process",
    "liaison_tasks_total": "Celery tasks run by this process, by task and outcome",
    "liaison_mssante_sends_total": "MSSanté recipient sends by final status",
}
HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _key(labels: dict[str, str]) -> Labels:
    return tuple(sorted((k, str(v)) for k, v in labels.items()))


def inc(name: str, amount: float = 1, **labels: str) -> None:
    with _lock:
        _counters[(name, _key(labels))] += amount


def gauge_add(name: str, amount: float, **labels: str) -> None:
    with _lock:
        _gauges[(name, _key(labels))] += amount


def observe(name: str, value: float, **labels: str) -> None:
    buckets = BUCKETS.get(name, DEFAULT_BUCKETS)
    with _lock:
        series = _histograms[name].get(_key(labels))
        if series is None:
            series = _histograms[name][_key(labels)] = [0.0] * (len(buckets) + 3)
        series[bisect.bisect_left(buckets, value)] += 1  # the +Inf bucket is index len(buckets)
        series[-2] += value
        series[-1] += 1


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _series(name: str, labels: Labels, value: float, extra: Labels = ()) -> str:
    pairs = labels + extra
    label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in pairs)
    return f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}"


def _number(value: float) -> str:
    return "+Inf" if value == float("inf") else f"{value:g}"


def render() -> str:
    lines: list[str] = []
    with _lock:
        families: dict[str, str] = {}
        for name, _ in _counters:
            families[name] = "counter"
        for name, _ in _gauges:
            families[name] = "gauge"
        for name in _histograms:
            families[name] = "histogram"
        for name in sorted(families):
            kind = families[name]
            lines.append(f"# HELP {name} {HELP.get(name, name)}")
            lines.append(f"# TYPE {name} {kind}")
            if kind == "histogram":
                buckets = (*BUCKETS.get(name, DEFAULT_BUCKETS), float("inf"))
                for labels, series in sorted(_histograms[name].items()):
                    running = 0.0
                    for bound, count in zip(buckets, series, strict=False):
                        running += count
                        lines.append(
                            _series(f"{name}_bucket", labels, running, (("le", _number(bound)),))
                        )
                    lines.append(_series(f"{name}_sum", labels, series[-2]))
                    lines.append(_series(f"{name}_count", labels, series[-1]))
                continue
            store = _gauges if kind == "gauge" else _counters
            for (family, labels), value in sorted(store.items()):
                if family == name:
                    lines.append(_series(name, labels, value))
    return "".join(f"{line}\n" for line in lines)


class MetricsMiddleware:
    """Counts every HTTP request by method and status class, and times it. Registered right
    after the request-id middleware, so probes and early answers are counted too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        method = request.method if request.method in HTTP_METHODS else "other"
        start = time.perf_counter()
        status = "5xx"  # an exception escaping the stack becomes a 500
        try:
            response = self.get_response(request)
            status = f"{response.status_code // 100}xx"
            return response
        finally:
            observe(
                "liaison_http_request_duration_seconds", time.perf_counter() - start, method=method
            )
            inc("liaison_http_requests_total", method=method, status=status)
