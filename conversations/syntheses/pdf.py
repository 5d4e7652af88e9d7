"""The conversation synthesis as a PDF, from plain data (no database): the renderer is fed by
`rendering.synthesis_data` in production and by in-memory objects in the benchmark.

Content: title, patient identity (when the conversation is about one), participants (name,
profession, organisation, RPPS), every message with author and time (« modifié le … » when it was
edited), its attachments, the "Vu par" marks, the generation date; each page carries "page X / Y"
and a footer with the document id and the one SHA-256 of the document: the fingerprint of the
message content.

Why not the hash of the file: a document cannot contain its own hash. The footer carries the
SHA-256 of a canonical serialisation of the messages (`content_digest`), which anyone holding the
conversation can recompute; the dialog shows the same one. The file's own SHA-256 stays on the
Export for the download's integrity check (the `X-Content-SHA256` header), not shown to people.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from backend.pdf import (
    FONT,
    FONT_BOLD,
    FONT_ITALIC,
    TABLE_FONT,
    NumberedCanvas,
    font_runs,
    register_fonts,
)
from backend.pdf import (
    build as build_pdf,
)
from backend.pdfa import to_pdfa
from conversations.syntheses.blocks import Measure, MessageBlock, TextStyle, measures

PARIS = ZoneInfo("Europe/Paris")
# Characters the PDF text layer and reportlab's paragraph parser cannot carry (C0 controls but
# tab and newline): removed, never passed through.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Person:
    name: str
    profession: str = ""
    organization: str = ""
    rpps: str = ""


@dataclass(frozen=True)
class AttachmentInfo:
    name: str
    size: int
    sha256: str = ""


@dataclass(frozen=True)
class MessageData:
    seq: int
    author: str  # display name, or "" for a system message
    created_at: datetime
    body: str
    attachments: tuple[AttachmentInfo, ...] = ()
    deleted: bool = False
    system: bool = False
    edited_at: datetime | None = None
    # Short markers printed after the time (« urgent », « réponse au n° 4 », « transféré »).
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReadMark:
    """A participant's read cursor: everything up to `seq` was seen ("Vu par")."""

    name: str
    seq: int


@dataclass(frozen=True)
class SynthesisData:
    document_id: str
    title: str
    generated_at: datetime
    participants: Sequence[Person]
    messages: Sequence[MessageData]
    patient: Sequence[tuple[str, str]] = ()  # (label, value) identity lines, empty if none
    reads: Sequence[ReadMark] = ()
    from_seq: int | None = None
    to_seq: int | None = None
    requested_by: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    sha256: str  # of the file
    content_sha256: str  # of the messages, printed in the footer
    pages: int


def _clean(value: str) -> str:
    return _CONTROL.sub("", value)


def _text(value: str, font: str = FONT) -> str:
    """Plain text to reportlab paragraph markup: bodies are never markup (`<script>`, `&`);
    emoji and symbols the font lacks go to the symbols font."""
    parts = []
    for run_font, run in font_runs(_clean(value), font):
        escaped = escape(run).replace("\n", "<br/>")
        parts.append(escaped if run_font == font else f'<font name="{run_font}">{escaped}</font>')
    return "".join(parts)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} o"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} Ko"
    return f"{n / (1024 * 1024):.1f} Mo"


def content_digest(messages: Sequence[MessageData]) -> str:
    """SHA-256 of the canonical serialisation of the messages, the fingerprint in the footer.

    One UTF-8 line per message, in seq order: the JSON array
    `[seq, author, time (ISO 8601, UTC, seconds), body, [attachment sha256...]]` without spaces
    (`ensure_ascii=False`), then "\\n". A deleted message has an empty body.
    """
    digest = hashlib.sha256()
    for m in messages:
        moment = _local(m.created_at).astimezone(UTC).replace(microsecond=0).isoformat()
        line = [m.seq, m.author, moment, "" if m.deleted else m.body]
        line.append([a.sha256 for a in m.attachments])
        digest.update(json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _block_styles() -> dict[str, TextStyle]:
    return {
        "author": TextStyle(FONT_BOLD, 9, 12),
        "body": TextStyle(FONT, 9.5, 12.5),
        "system": TextStyle(FONT_ITALIC, 9.5, 12.5, "#555555"),
        "note": TextStyle(FONT_ITALIC, 8, 10, "#555555"),
    }


def _message_block(
    m: MessageData,
    readers: list[str] | None,
    styles: dict[str, TextStyle],
    widths: dict[TextStyle, Measure],
) -> MessageBlock:
    moment = _local(m.created_at)
    author = "Message du système" if m.system else (m.author or "Auteur inconnu")
    header = f"n° {m.seq} — {author} — {moment:%d/%m/%Y %H:%M}"
    if m.edited_at is not None and not m.deleted:
        header += f" (modifié le {_local(m.edited_at):%d/%m/%Y à %H:%M})"
    for label in m.labels:
        header += f" — {label}"
    parts: list[tuple[TextStyle, str]] = [(styles["author"], _clean(header))]
    if m.deleted:
        parts.append((styles["note"], "Message supprimé."))
    elif m.body:
        parts.append((styles["system" if m.system else "body"], _clean(m.body)))
    for a in m.attachments if not m.deleted else ():
        parts.append((styles["note"], _clean(f"Pièce jointe : {a.name} ({_size(a.size)})")))
    if readers:
        parts.append((styles["note"], _clean(f"Vu par {', '.join(sorted(readers))}")))
    return MessageBlock(parts, widths=widths)


def _styles() -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle(
            "syn-title", fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=6
        ),
        "h": ParagraphStyle(
            "syn-h", fontName=FONT_BOLD, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4
        ),
        "meta": ParagraphStyle("syn-meta", fontName=FONT, fontSize=9, leading=12),
        "cell": ParagraphStyle("syn-cell", fontName=FONT, fontSize=8.5, leading=10.5),
        "note": ParagraphStyle(
            "syn-note", fontName=FONT_ITALIC, fontSize=8, leading=10, textColor="#555555"
        ),
    }


_GRID = TableStyle(
    [
        TABLE_FONT,
        ("GRID", (0, 0), (-1, -1), 0.3, "#999999"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
    ]
)


class _MessageMarker(Spacer):
    """A zero-height flowable after each message: the document counts them for progress."""

    def __init__(self) -> None:
        super().__init__(0, 0)


class _Document(SimpleDocTemplate):
    def __init__(self, *args: Any, on_message: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_message = on_message

    def afterFlowable(self, flowable: Any) -> None:
        if isinstance(flowable, _MessageMarker):
            self._on_message()


def _footer_canvas(document_id: str, digest: str) -> type[NumberedCanvas]:
    class FooterCanvas(NumberedCanvas):
        def draw_page_footer(self, page: int, total: int) -> None:
            width = self._pagesize[0]
            self.saveState()
            self.setFont(FONT, 7)
            self.setFillColor("#444444")
            self.drawString(2 * cm, 1.35 * cm, f"Document {document_id}")
            self.drawRightString(width - 2 * cm, 1.35 * cm, f"page {page} / {total}")
            self.drawString(
                2 * cm, 0.95 * cm, f"Empreinte SHA-256 du contenu des messages : {digest}"
            )
            self.restoreState()

    return FooterCanvas


def _story(data: SynthesisData, digest: str, styles: dict[str, ParagraphStyle]) -> list[Any]:
    story: list[Any] = [Paragraph(_text(data.title), styles["title"])]
    generated = _local(data.generated_at)
    meta = [f"Synthèse générée le {generated:%d/%m/%Y à %H:%M}"]
    if data.requested_by:
        meta.append(f"à la demande de {data.requested_by}")
    story.append(Paragraph(_text(" ".join(meta) + "."), styles["meta"]))
    if data.from_seq is not None or data.to_seq is not None:
        low = data.from_seq if data.from_seq is not None else 1
        high = f"au message n° {data.to_seq}" if data.to_seq is not None else "à la fin"
        story.append(Paragraph(_text(f"Extrait : du message n° {low} {high}."), styles["meta"]))
    story.append(
        Paragraph(
            _text(f"Document {data.document_id} — {len(data.messages)} message(s)."),
            styles["meta"],
        )
    )
    cell = styles["cell"]
    if data.patient:
        story.append(Paragraph("Patient", styles["h"]))
        rows = [[Paragraph(_text(k), cell), Paragraph(_text(v), cell)] for k, v in data.patient]
        table = Table(rows, colWidths=[4.5 * cm, 12.5 * cm])
        table.setStyle(TableStyle([TABLE_FONT, ("GRID", (0, 0), (-1, -1), 0.3, "#999999")]))
        story.append(table)
    story.append(Paragraph("Participants", styles["h"]))
    header = ["Nom", "Profession", "Organisation", "RPPS"]
    rows = [[Paragraph(h, cell) for h in header]]
    rows += [
        [
            Paragraph(_text(p.name), cell),
            Paragraph(_text(p.profession or "—"), cell),
            Paragraph(_text(p.organization or "—"), cell),
            Paragraph(_text(p.rpps or "—"), cell),
        ]
        for p in data.participants
    ]
    table = Table(rows, colWidths=[4.6 * cm, 4 * cm, 5.6 * cm, 2.8 * cm], repeatRows=1)
    table.setStyle(_GRID)
    story.append(table)

    story.append(Paragraph("Messages", styles["h"]))
    if not data.messages:
        story.append(Paragraph("Aucun message.", styles["note"]))
    # "Vu par": each reader is named once, under the last message they have seen in the export.
    seen_at: dict[int, list[str]] = {}
    seqs = [m.seq for m in data.messages]
    for mark in data.reads:
        index = bisect_right(seqs, mark.seq)
        if index:  # the reader saw at least one exported message
            seen_at.setdefault(seqs[index - 1], []).append(mark.name)
    text_styles = _block_styles()
    widths = measures(list(text_styles.values()))
    for m in data.messages:
        story.append(_message_block(m, seen_at.get(m.seq), text_styles, widths))
        story.append(_MessageMarker())

    files = [(m.seq, a) for m in data.messages if not m.deleted for a in m.attachments]
    story.append(Paragraph("Pièces jointes", styles["h"]))
    if files:
        rows = [[Paragraph(h, cell) for h in ("Message", "Fichier", "Taille", "SHA-256")]]
        rows += [
            [
                Paragraph(f"n° {seq}", cell),
                Paragraph(_text(a.name), cell),
                Paragraph(_size(a.size), cell),
                Paragraph(_text(a.sha256[:16] + "…" if a.sha256 else "—"), cell),
            ]
            for seq, a in files
        ]
        table = Table(rows, colWidths=[2 * cm, 8.6 * cm, 2.4 * cm, 4 * cm], repeatRows=1)
        table.setStyle(_GRID)
        story.append(table)
    else:
        story.append(Paragraph("Aucune pièce jointe.", styles["note"]))

    story.append(Paragraph("Lecture (« Vu par »)", styles["h"]))
    if data.reads:
        for mark in sorted(data.reads, key=lambda r: r.name):
            text = (
                f"{mark.name} : lu jusqu'au message n° {mark.seq}"
                if mark.seq
                else (f"{mark.name} : aucun message lu")
            )
            story.append(Paragraph(_text(text), styles["meta"]))
    else:
        story.append(Paragraph("Aucune lecture enregistrée.", styles["note"]))
    story.append(Spacer(1, 0.4 * cm))
    story.append(Paragraph("Empreinte du document (SHA-256)", styles["h"]))
    for line in digest_explanation(digest):
        story.append(Paragraph(_text(line), styles["meta"]))
    return story


def digest_explanation(digest: str) -> list[str]:
    """What the one SHA-256 of the synthesis is the hash of, and how to check it."""
    return [
        f"Empreinte SHA-256 du contenu des messages : {digest}. C'est la même en pied de "
        "chaque page et dans la fenêtre « Synthèse » de Liaison Santé.",
        "De quoi c'est l'empreinte : des messages exportés, un par ligne dans l'ordre des "
        "numéros, chaque ligne étant le tableau JSON [numéro, auteur, heure UTC ISO 8601 à la "
        "seconde, texte (vide si supprimé), [SHA-256 des pièces jointes]] sans espaces, encodé "
        "en UTF-8 et suivi d'un saut de ligne.",
        "Comment la vérifier : recalculer le SHA-256 (par exemple « sha256sum ») de ces lignes "
        "écrites à partir de la conversation conservée sur la plateforme, et comparer ; la "
        "moindre modification d'un message, d'un auteur, d'une heure ou d'une pièce jointe "
        "change l'empreinte. Elle ne porte pas sur le fichier PDF lui-même, qui ne peut pas "
        "contenir sa propre empreinte.",
    ]


def render(data: SynthesisData, progress: Callable[[int], None] | None = None) -> Rendered:
    """Build the PDF; `progress(percent)` is called as messages are laid out (0-99)."""
    register_fonts()
    styles = _styles()
    digest = content_digest(data.messages)
    total = max(len(data.messages), 1)
    done = 0
    step = max(total // 20, 1)

    def on_message() -> None:
        nonlocal done
        done += 1
        if progress is not None and (done % step == 0 or done == total):
            progress(min(99, done * 99 // total))

    buffer = io.BytesIO()
    doc = _Document(
        buffer,
        on_message=on_message,
        pagesize=A4,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=1.8 * cm,
        bottomMargin=2.2 * cm,
        title=_clean(data.title),
        author="Liaison Santé",
        subject=f"Document {data.document_id}",
    )
    canvas = _footer_canvas(data.document_id, digest)
    build_pdf(doc, _story(data, digest, styles), canvasmaker=canvas)
    # Sent as a health document: PDF/A-2b (DOMAIN.md, MSSanté documents).
    pdf = to_pdfa(
        buffer.getvalue(),
        title=_clean(data.title),
        author="Liaison Santé",
        created=data.generated_at,
    )
    return Rendered(
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        content_sha256=digest,
        pages=doc.page,
    )
