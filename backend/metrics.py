"""Process-local counters in the Prometheus text format.

Deliberately tiny; issue #9 may replace it with prometheus-client and multiprocess mode.
"""

from __future__ import annotations

import threading
from collections import defaultdict

_lock = threading.Lock()
_counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
_gauges: dict[str, float] = defaultdict(float)
HELP = {
    "liaison_messages_sent_total": "Messages stored",
    "liaison_ws_connections": "Open WebSocket connections in this process",
    "liaison_ws_frames_total": "WebSocket frames received, by type and outcome",
}


def inc(name: str, amount: float = 1, **labels: str) -> None:
    with _lock:
        _counters[(name, tuple(sorted(labels.items())))] += amount


def gauge_add(name: str, amount: float) -> None:
    with _lock:
        _gauges[name] += amount


def render() -> str:
    lines: list[str] = []
    with _lock:
        names = sorted({name for name, _ in _counters} | set(_gauges))
        for name in names:
            kind = "gauge" if name in _gauges else "counter"
            lines.append(f"# HELP {name} {HELP.get(name, name)}")
            lines.append(f"# TYPE {name} {kind}")
            if name in _gauges:
                lines.append(f"{name} {_gauges[name]:g}")
                continue
            for (counter, labels), value in sorted(_counters.items()):
                if counter != name:
                    continue
                label_text = ",".join(f'{k}="{v}"' for k, v in labels)
                lines.append(
                    f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}"
                )
    return "\n".join(lines) + "\n"
