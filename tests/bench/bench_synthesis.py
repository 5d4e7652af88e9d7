"""The conversation synthesis PDF: render time and peak Python memory for 100 / 1,000 / 5,000
messages (100 / 1,000 quick), from in-memory data (no database), with accents, long words,
markup-like text, emoji, edited messages and attachments mixed in like real conversations.

Goal (issue #21, item 7): 5,000 messages in at most 2 s and 20 MiB. Beside it, in the same run,
a reference: reportlab alone laying out the same text the plain way (one Paragraph per author
line and per body, same embedded font, no tables, footer or PDF/A), and the ratio ours /
reference. `BENCH_PROFILE=1` also writes a pyinstrument profile of the largest size to
var/bench/synthesis-profile.txt (pyinstrument is a dev dependency).
"""

from __future__ import annotations

import io
import os
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate

from backend.pdf import FONT, FONT_BOLD, register_fonts
from conversations.syntheses.pdf import (
    AttachmentInfo,
    MessageData,
    Person,
    ReadMark,
    SynthesisData,
    render,
)

BODIES = [
    "Bonjour, la patiente a été revue ce matin : TA 135/85, pas d'œdème. À réévaluer à J+7.",
    "Reçu, merci. Je préviens l'IDE du SSIAD ; ECG joint. « Vu » & validé <ok>.",
    "Compte rendu :\n- traitement inchangé\n- bilan biologique à prévoir\n- RDV cardiologie",
    "x" * 400,  # a long word: must wrap, not overflow
    "OK pour moi 👍 ✓ — RDV → lundi ⚠ allergie pénicilline",
    (
        "Évolution favorable, poursuite du traitement par bêtabloquant, surveillance de la "
        "fréquence cardiaque et de la tension artérielle à domicile par l'infirmière. "
    )
    * 6,
]


def synthetic(count: int) -> SynthesisData:
    start = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    people = [
        Person(
            "Dr Claire Martin", "Médecin généraliste", "Cabinet médical de la Gare", "10101010101"
        ),
        Person("Dr Paul Bernard", "Cardiologue", "CH du Mans", "10202020202"),
        Person("Julie Durand", "Infirmière", "SSIAD Sarthe", ""),
    ]
    messages = [
        MessageData(
            seq=n,
            author=people[n % 3].name,
            created_at=start + timedelta(minutes=7 * n),
            body=BODIES[n % len(BODIES)],
            attachments=(AttachmentInfo("ECG é.pdf", 120_000, "ab" * 32),) if n % 25 == 0 else (),
            deleted=n % 97 == 0,
            edited_at=start + timedelta(minutes=7 * n + 3) if n % 13 == 0 else None,
        )
        for n in range(1, count + 1)
    ]
    return SynthesisData(
        document_id="SYN-BENCH-0001",
        title="Synthèse de la conversation « Suivi cardiologique »",
        generated_at=datetime.now(UTC),
        participants=people,
        messages=messages,
        patient=[("Nom de naissance", "LEFEBVRE"), ("Prénom(s)", "Marie Élise")],
        reads=[ReadMark(people[0].name, count), ReadMark(people[1].name, count // 2)],
    )


def reference(data: SynthesisData) -> bytes:
    """reportlab alone, the plain way: an author line and a body Paragraph per message."""
    register_fonts()
    author = ParagraphStyle("ref-author", fontName=FONT_BOLD, fontSize=9, leading=12)
    body = ParagraphStyle("ref-body", fontName=FONT, fontSize=9.5, leading=12.5)
    story: list[Any] = []
    for m in data.messages:
        story.append(
            Paragraph(escape(f"n° {m.seq} — {m.author} — {m.created_at:%d/%m/%Y %H:%M}"), author)
        )
        story.append(Paragraph(escape(m.body).replace("\n", "<br/>"), body))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def timed(job: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """(result, wall seconds, CPU seconds, peak MiB); the peak from a second run under
    tracemalloc, which slows Python down several times."""
    started, cpu = time.perf_counter(), time.process_time()
    result = job()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()
    job()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, cpu_seconds, peak / (1024 * 1024)


def measure(count: int) -> dict[str, Any]:
    data = synthetic(count)
    rendered, seconds, cpu, peak = timed(lambda: render(data))
    _, ref_seconds, ref_cpu, ref_peak = timed(lambda: reference(data))
    return {
        "messages": count,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mib": round(peak, 1),
        "pages": rendered.pages,
        "pdf_kib": round(len(rendered.pdf) / 1024),
        "reference_seconds": round(ref_seconds, 2),
        "reference_cpu_seconds": round(ref_cpu, 2),
        "reference_peak_mib": round(ref_peak, 1),
        "ratio_cpu": round(cpu / ref_cpu, 2) if ref_cpu else None,
        "goal": "5,000 messages: at most 2 s and 20 MiB",
    }


def profile(count: int) -> None:
    from pyinstrument import Profiler

    data = synthetic(count)
    profiler = Profiler(interval=0.002)
    profiler.start()
    render(data)
    profiler.stop()
    out = Path(__file__).resolve().parents[2] / "var" / "bench" / "synthesis-profile.txt"
    out.write_text(profiler.output_text(unicode=True, color=False))
    print(f"profile of {count} messages in {out}")


def run(quick: bool) -> dict[str, Any]:
    sizes = [100, 1_000] if quick else [100, 1_000, 5_000]
    render(synthetic(5))  # font registration and imports out of the figures
    reference(synthetic(5))
    rows = [measure(n) for n in sizes]
    print(
        f"{'messages':>9} {'s':>6} {'CPU s':>6} {'peak MiB':>9} {'pages':>6} {'PDF KiB':>8}"
        f" | {'ref s':>6} {'ref CPU':>7} {'ref MiB':>8} | {'CPU ratio':>9}"
    )
    for r in rows:
        print(
            f"{r['messages']:>9} {r['seconds']:>6} {r['cpu_seconds']:>6} {r['peak_mib']:>9}"
            f" {r['pages']:>6} {r['pdf_kib']:>8} | {r['reference_seconds']:>6}"
            f" {r['reference_cpu_seconds']:>7} {r['reference_peak_mib']:>8} | {r['ratio_cpu']:>9}"
        )
    print("goal: 5,000 messages in at most 2 s and 20 MiB (wall time depends on the load)")
    if os.environ.get("BENCH_PROFILE") == "1":
        profile(sizes[-1])
    return {"runs": rows}
