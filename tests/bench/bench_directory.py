"""Directory: import a generated correspondence file (500,000 rows; 50,000 quick), then search.

Runs in a dedicated, throw-away test database created from DATABASE_URL's settings
(``test_<name>`` on PostgreSQL, in-memory on SQLite), so the developer's data is never touched.
The 500,000-row run needs PostgreSQL (DATABASE_URL); without it the quick size is used.
``BENCH_DIRECTORY_ROWS=200000`` sets another size (iterating on a shared machine).
"""

from __future__ import annotations

import contextlib
import os
import resource
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any

from django.db import connection

from backend.directory import formats, importer
from backend.directory.models import DirectoryEntry
from backend.directory.search import Criteria, ranked_order, represent, search
from tests.data import make_annuaire_samples as samples

ROOT = Path(__file__).resolve().parents[2]
SEARCHES = [
    Criteria(q="m"),
    Criteria(q="dup"),
    Criteria(q="lefevre"),
    Criteria(q="jean moreau"),
    Criteria(q="helene", city="saint etienne"),
    Criteria(q="centre hospitalier evreux"),
    Criteria(profession="cardio", postcode="72000"),
    Criteria(q="ma", mssante_only=True),
    Criteria(q="zoe le goff", profession="10"),
    # Issue 21: found by service or address line, feminine profession, specialty prefix.
    Criteria(q="addictologie"),
    Criteria(q="geriatrie", mssante_only=True),
    Criteria(q="infirmière"),
    Criteria(q="cardio", city="le mans"),
]
REPEAT = 15
GOAL_P99_MS = 50
GOAL_LINES_PER_S = 10_000


def _max_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux: the process high-water mark.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(call: Any) -> list[float]:
    call()  # warm the cache and the plan
    own = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        call()
        own.append((time.perf_counter() - started) * 1000)
    return own


def _floor() -> list[float]:
    """The reference: a page of 20 active entries read in result order from the same table by
    its index, no search condition, represented the same way."""
    return _timed(
        lambda: represent(
            list(DirectoryEntry.objects.filter(active=True).order_by(*ranked_order())[:20])
        )
    )


def _time_searches() -> dict[str, Any]:
    timings: list[float] = []
    per_query: dict[str, dict[str, Any]] = {}
    worst = 0.0
    floor = _floor()
    floor_p50, floor_p99 = statistics.median(floor), _percentile(floor, 0.99)
    print(f"  {'référence (page de 20 lue par index)':<45} {'':>7}            "
          f"p50 {floor_p50:7.2f} ms  p99 {floor_p99:7.2f} ms")  # fmt: skip
    for criteria in SEARCHES:
        own = _timed(lambda criteria=criteria: search(criteria))
        _, count, exact = search(criteria)
        timings.extend(own)
        label = " ".join(f"{k}={v}" for k, v in vars(criteria).items() if v and k != "limit")
        shown = f"{count}{'' if exact else '+'}"
        p50, p99 = statistics.median(own), _percentile(own, 0.99)
        worst = max(worst, p99)
        per_query[label] = {
            "count": shown,
            "p50_ms": round(p50, 2),
            "p99_ms": round(p99, 2),
            "p99_over_reference": round(p99 / floor_p99, 1),
        }
        verdict = "atteint" if p99 <= GOAL_P99_MS else "manqué"
        print(f"  {label:<45} {shown:>7} résultats  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
              f"référence p99 {floor_p99:6.2f} ms  p99/référence {p99 / floor_p99:5.1f}  "
              f"objectif {GOAL_P99_MS} ms : {verdict}")  # fmt: skip
    return {
        "search_p50_ms": round(_percentile(timings, 0.5), 2),
        "search_p99_ms": round(_percentile(timings, 0.99), 2),
        "worst_query_p99_ms": round(worst, 2),
        "floor_p50_ms": round(floor_p50, 2),
        "floor_p99_ms": round(floor_p99, 2),
        "searches": per_query,
    }


def _parse_only(path: Path) -> float:
    """The import's reference: reading and parsing every line, no database (seconds)."""
    started = time.perf_counter()
    with path.open("rb") as handle:
        layout = formats.detect(handle.readline().decode("utf-8-sig"))
        for raw in handle:
            with contextlib.suppress(formats.RowError):
                formats.parse_row(formats.split_line(raw.decode("utf-8"), layout), layout)
    return time.perf_counter() - started


def run(quick: bool) -> dict[str, Any]:
    on_postgres = connection.vendor == "postgresql"
    print(f"charge de la machine (uptime) : {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    rows = 50_000 if quick or not on_postgres else 500_000
    rows = int(os.environ.get("BENCH_DIRECTORY_ROWS", rows))
    if not on_postgres and not quick:
        print("Note : DATABASE_URL absent (SQLite) : 50 000 lignes au lieu de 500 000.")
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    path = bench_dir / f"annuaire_mssante_{rows}.txt"
    started = time.perf_counter()
    lines = samples.write(path, samples.mssante_lines(rows, samples=False, teams=True))
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
        parse_seconds = _parse_only(path)
        parse_rate = first.counts["lines"] / parse_seconds
        print(f"import : {first.counts['created']} entrées, {seconds:.1f} s, {rate:,.0f} lignes/s "
              f"(objectif {GOAL_LINES_PER_S:,} : x{rate / GOAL_LINES_PER_S:.2f}) ; "
              f"référence lecture + analyse seules {parse_seconds:.1f} s, "
              f"{parse_rate:,.0f} lignes/s ; "
              f"import/référence {seconds / parse_seconds:.1f}")  # fmt: skip
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
        print(f"recherche : p50 {figures['search_p50_ms']} ms, p99 {figures['search_p99_ms']} ms, "
              f"pire p99 d'une requête {figures['worst_query_p99_ms']} ms "
              f"(objectif {GOAL_P99_MS} ms), "
              f"référence p99 {figures['floor_p99_ms']} ms")  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        path.unlink(missing_ok=True)
    return {
        "database": connection.vendor,
        "rows": first.counts["lines"],
        "import_seconds": round(seconds, 2),
        "import_rows_per_s": round(rate),
        "import_reference_parse_seconds": round(parse_seconds, 2),
        "import_reference_rows_per_s": round(parse_rate),
        "max_rss_mb": round(_max_rss_mb()),
        "reimport_seconds_tracemalloc": round(again, 2),
        "reimport_python_heap_peak_mb": round(heap_peak / 1e6, 1),
        **figures,
        "load_average_at_end": [round(v, 1) for v in os.getloadavg()],
        "quick": quick,
        "database_url": bool(os.environ.get("DATABASE_URL")),
    }
