"""`make bench`: runs every tests/bench/bench_*.py, prints its table, writes var/bench/<name>.json.

A benchmark module exposes `run(quick: bool) -> dict` that prints a human table and returns
its figures. Benchmarks measure and print; they never fail on timing. `BENCH=name1,name2`
selects some; `BENCH_QUICK=1` runs small sizes (a smoke run).
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

import django

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    wanted = {n for n in os.environ.get("BENCH", "").split(",") if n}
    quick = os.environ.get("BENCH_QUICK") == "1"
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    machine = {"python": platform.python_version(), "cpus": os.cpu_count(), "node": platform.node()}
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"tests.bench.{path.stem}")
            figures = module.run(quick=quick)
        except Exception:
            failures += 1
            traceback.print_exc()
            continue
        elapsed = time.perf_counter() - started
        record = {"name": name, "seconds": round(elapsed, 2), "machine": machine, **figures}
        (out_dir / f"{name}.json").write_text(json.dumps(record, indent=2, default=str))
        print(f"({name}: {elapsed:.1f} s, figures in var/bench/{name}.json)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
