"""Shared reportlab pieces: embedded Unicode-capable fonts and "page X / Y" numbering.

Vera ships with reportlab and covers Latin-1 plus the usual typographic signs (« », —, œ), so
French accents render the same on every machine (the TTF is embedded in the PDF). Emoji and
symbols (✓, →, ⚠, 👍, 🚑) are not in Vera: `font_runs` sends them to Symbola (George Douros,
"free for any use", copied from Debian's fonts-symbola 2.60 with its licence in
backend/fonts/), embedded as a subset like Vera, since PDF/A embeds every font it uses. Symbola
is monochrome: an emoji prints as its black outline, never as a missing-glyph box.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from pathlib import Path
from typing import Any

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT, FONT_BOLD, FONT_ITALIC = "TE-Vera", "TE-Vera-Bold", "TE-Vera-Italic"
FONT_SYMBOLS = "TE-Symbola"
_FONTS_DIR = Path(reportlab.__file__).parent / "fonts"
_OWN_FONTS_DIR = Path(__file__).resolve().parent / "fonts"
# Table cells start from a style bound to Helvetica (one of the 14 standard fonts, never
# embedded, which PDF/A refuses): every TableStyle of ours names the embedded font first.
TABLE_FONT = ("FONTNAME", (0, 0), (-1, -1), FONT)


class SubsetFont(TTFont):
    """reportlab's TTFont with a C-speed path for text whose characters are all already in the
    first subset (nearly every line of a synthesis): one `str.translate` instead of a Python
    loop per character (the profile of a 5,000-message synthesis showed a quarter of the time
    in `TTFont.splitString`). Anything else goes through reportlab's own code."""

    def splitString(self, text: Any, doc: Any, encoding: str = "utf-8") -> Any:
        state = self.state.get(doc) if isinstance(text, str) else None
        if state is not None and text:
            fast = getattr(state, "liaison_fast", None)
            if fast is None or fast[0] != len(state.assignments):
                first = {c: n for c, n in state.assignments.items() if n < 256}
                fast = (len(state.assignments), frozenset(map(chr, first)), first)
                state.liaison_fast = fast
            if fast[1].issuperset(text):
                return [(0, text.translate(fast[2]).encode("latin-1"))]
        return super().splitString(text, doc, encoding)


# reportlab's TrueType faces are shared by every document of the process, and writing a font
# subset moves the face's one read position in the font file (`TTFontFile.makeSubset`): two
# documents saved at once in two threads read each other's glyphs (IndexError, seen with ten
# teleexpertise filings at once). Every document of ours is built under this lock.
_BUILD_LOCK = threading.Lock()


def build(doc: Any, story: Any, **options: Any) -> None:
    """`doc.build(story, **options)`, one document at a time in this process."""
    with _BUILD_LOCK:
        doc.build(story, **options)


_REGISTER_LOCK = threading.Lock()
_registered = False


def register_fonts() -> None:
    # Once per process, all four together: a thread that found the first one registered used to
    # go on while another was still registering the others (te-vera-bold unknown).
    global _registered
    if _registered:
        return
    with _REGISTER_LOCK:
        if not _registered:
            pdfmetrics.registerFont(SubsetFont(FONT, str(_FONTS_DIR / "Vera.ttf")))
            pdfmetrics.registerFont(SubsetFont(FONT_BOLD, str(_FONTS_DIR / "VeraBd.ttf")))
            pdfmetrics.registerFont(SubsetFont(FONT_ITALIC, str(_FONTS_DIR / "VeraIt.ttf")))
            symbola = SubsetFont(FONT_SYMBOLS, str(_OWN_FONTS_DIR / "Symbola.ttf"))
            pdfmetrics.registerFont(symbola)
            _registered = True


@cache
def _outside(font: str) -> re.Pattern[str]:
    """Runs of characters that `font` has no glyph for."""
    register_fonts()
    face: Any = pdfmetrics.getFont(font).face
    covered = "".join(sorted(chr(c) for c in face.charToGlyph if c >= 0x20 and c != 0x7F))
    return re.compile(f"[^{re.escape(covered)}]+")


def font_runs(text: str, font: str) -> list[tuple[str, str]]:
    """`text` cut into (font, text) runs: `font` where it has the glyphs, Symbola elsewhere."""
    if text.isascii():
        return [(font, text)]
    runs: list[tuple[str, str]] = []
    start = 0
    for match in _outside(font).finditer(text):
        if match.start() > start:
            runs.append((font, text[start : match.start()]))
        runs.append((FONT_SYMBOLS, match.group()))
        start = match.end()
    if start < len(text) or not runs:
        runs.append((font, text[start:]))
    return runs


def has_symbols(text: str, font: str = FONT) -> bool:
    """Whether `text` needs the symbols font at all (the common case is no)."""
    return not text.isascii() and _outside(font).search(text) is not None


class EmbeddedFontCanvas(Canvas):
    """A canvas whose base font, selected in every page's preamble, is ours (embedded) rather
    than Helvetica; given to this canvas only, reportlab's process-wide default is left alone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # (platypus' document templates pass initialFontName=None explicitly)
        kwargs["initialFontName"] = kwargs.get("initialFontName") or FONT
        super().__init__(*args, **kwargs)


class NumberedCanvas(EmbeddedFontCanvas):
    """Defers each page until the document ends, so the footer can say "page X / Y".

    Subclasses (or the document) draw the footer in ``draw_page_footer(page, total)``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for number, state in enumerate(self._saved_pages, start=1):
            self.__dict__.update(state)
            self.draw_page_footer(number, total)
            super().showPage()
        super().save()

    def draw_page_footer(self, page: int, total: int) -> None:
        self.saveState()
        self.setFont(FONT, 8)
        self.drawRightString(self._pagesize[0] - 56, 34, f"page {page} / {total}")
        self.restoreState()
