"""Shared reportlab pieces: an embedded Unicode-capable font and "page X / Y" numbering.

Vera ships with reportlab and covers Latin-1 plus the usual typographic signs (« », —, œ), so
French accents render the same on every machine (the TTF is embedded in the PDF).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT, FONT_BOLD, FONT_ITALIC = "TE-Vera", "TE-Vera-Bold", "TE-Vera-Italic"
_FONTS_DIR = Path(reportlab.__file__).parent / "fonts"
# Table cells start from a style bound to Helvetica (one of the 14 standard fonts, never
# embedded, which PDF/A refuses): every TableStyle of ours names the embedded font first.
TABLE_FONT = ("FONTNAME", (0, 0), (-1, -1), FONT)


def register_fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(_FONTS_DIR / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONTS_DIR / "VeraBd.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(_FONTS_DIR / "VeraIt.ttf")))


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
