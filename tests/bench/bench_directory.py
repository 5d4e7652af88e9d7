"""Directory: import a generated correspondence file (500,000 rows; 50,000 quick), then search.

Runs in a dedicated, throw-away test database created from DATABASE_URL's settings
(``test_<name>`` on PostgreSQL, in-memory on SQLite), so the developer's data is never touched.
The 500,000-row run needs PostgreSQL (DATABASE_URL); without it the quick size is used.
"""

from __future__ import annotations

import os
import resource
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any

from django.db import connection

from backend.directory import importer
from backend.directory.search import Criteria, search
from tests.data import make_annuaire_samples as samples

ROOT = Path(__file__).resolve().parents[2]
SEARCHES = [
    Criteria(q="dup"),
    Criteria(q="lefevre"),
    Criteria(q="jean moreau"),
    Criteria(q="helene", city="saint etienne"),
    Criteria(q="centre hospitalier evreux"),
    Criteria(profession="cardio", postcode="72000"),
    Criteria(q="ma", mssante_only=True),
    Criteria(q="zoe le goff", profession="10"),
]
REPEAT = 15


def _max_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the process high-water mark.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _time_searches() -> dict[str, Any]:
    timings: list[float] = []
    per_query = {}
    for criteria in SEARCHES:
        search(criteria)  # warm the cache and the plan
        own = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            _, count = search(criteria)
            own.append((time.perf_counter() - started) * 1000)
        timings.extend(own)
        label = " ".join(f"{k}={v}" for k, v in vars(criteria).items() if v and k != "limit")
        per_query[label] = {"count": count, "p50_ms": round(statistics.median(own), 2)}
        print(f"  {label:<45} {count:>7} résultats  p50 {statistics.median(own):7.2f} ms")
    return {
        "search_p50_ms": round(_percentile(timings, 0.5), 2),
        "search_p99_ms": round(_percentile(timings, 0.99), 2),
        "searches": per_query,
    }


def run(quick: bool) -> dict[str, Any]:
    on_postgres = connection.vendor == "postgresql"
    rows = 50_000 if quick or not on_postgres else 500_000
    if not on_postgres and not quick:
        print("Note : DATABASE_URL absent (SQLite) : 50 000 lignes au lieu de 500 000.")
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    path = bench_dir / f"annuaire_mssante_{rows}.txt"
    started = time.perf_counter()
    lines = samples.write(path, samples.mssante_lines(rows, samples=False))
    print(f"fichier généré : {lines - 1} lignes, {path.stat().st_size / 1e6:.0f} Mo, "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    old_name = connection.settings_dict["NAME"]
    if on_postgres:
        # Its own database, not the test suite's test_<name>, which may be in use meanwhile.
        connection.settings_dict["TEST"]["NAME"] = f"bench_directory_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        rss_before = _max_rss_mb()
        started = time.perf_counter()
        first = importer.import_file(path)
        seconds = time.perf_counter() - started
        rate = first.counts["lines"] / seconds
        print(f"import : {first.counts['created']} entrées, {seconds:.1f} s, {rate:,.0f} lignes/s")
        print(f"RSS max : {_max_rss_mb():.0f} Mo (avant import {rss_before:.0f} Mo)")

        # The re-import under tracemalloc takes minutes at 500,000 rows: only on request, so
        # that `make bench` stays under 15 minutes.
        again = heap_peak = 0.0
        if os.environ.get("BENCH_DIRECTORY_REIMPORT") == "1":
            tracemalloc.start()
            started = time.perf_counter()
            second = importer.import_file(path)
            again = time.perf_counter() - started
            _, heap_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"réimport (aucun changement) : {again:.1f} s sous tracemalloc, "
                  f"pic du tas Python {heap_peak / 1e6:.1f} Mo, "
                  f"modifiées {second.counts['updated']}")  # fmt: skip

        print(f"recherches sur {first.counts['created']} entrées ({connection.vendor}) :")
        figures = _time_searches()
        print(f"recherche : p50 {figures['search_p50_ms']} ms, p99 {figures['search_p99_ms']} ms")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        path.unlink(missing_ok=True)
    return {
        "database": connection.vendor,
        "rows": first.counts["lines"],
        "import_seconds": round(seconds, 2),
        "import_rows_per_s": round(rate),
        "max_rss_mb": round(_max_rss_mb()),
        "reimport_seconds_tracemalloc": round(again, 2),
        "reimport_python_heap_peak_mb": round(heap_peak / 1e6, 1),
        **figures,
        "quick": quick,
        "database_url": bool(os.environ.get("DATABASE_URL")),
    }
