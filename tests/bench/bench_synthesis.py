"""The conversation synthesis PDF: render time and peak Python memory for 100 / 1,000 / 5,000
messages (100 / 1,000 quick), from in-memory data (no database), with accents, long words,
markup-like text and attachments mixed in like real conversations.
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

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


def measure(count: int) -> dict[str, Any]:
    data = synthetic(count)
    started = time.perf_counter()
    rendered = render(data)
    seconds = time.perf_counter() - started
    # A second run under tracemalloc for the peak: tracing slows Python down several times,
    # so its duration is not the one reported.
    tracemalloc.start()
    render(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "messages": count,
        "seconds": round(seconds, 2),
        "peak_mib": round(peak / (1024 * 1024), 1),
        "pages": rendered.pages,
        "pdf_kib": round(len(rendered.pdf) / 1024),
    }


def run(quick: bool) -> dict[str, Any]:
    sizes = [100, 1_000] if quick else [100, 1_000, 5_000]
    render(synthetic(5))  # font registration and imports out of the figures
    rows = [measure(n) for n in sizes]
    print(f"{'messages':>9} {'seconds':>8} {'peak MiB':>9} {'pages':>6} {'PDF KiB':>8}")
    for r in rows:
        print(
            f"{r['messages']:>9} {r['seconds']:>8} {r['peak_mib']:>9} {r['pages']:>6} "
            f"{r['pdf_kib']:>8}"
        )
    return {"runs": rows}
