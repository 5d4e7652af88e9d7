"""One message of the synthesis as one light flowable: plain text (never markup), laid out by a
greedy line breaker and drawn with one text object.

Why not reportlab's Paragraph: the profile of a 5,000-message synthesis (pyinstrument, see the
README's Performance section) spent about 70 % of its time in Paragraph: parsing each body as
markup, then breaking its lines twice (once inside the KeepTogether that `keepWithNext` builds
around the author line, once more when the frame adds it). A message is plain text: the block
measures each word once (reportlab's C `stringWidth`, cached per word), keeps the author line with
at least one line of text, and splits across pages at line boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from backend.pdf import font_runs, has_symbols


@dataclass(frozen=True)
class TextStyle:
    font: str
    size: float
    leading: float
    color: str = "#000000"

    @property
    def fill(self) -> Color:
        # A Color object: reportlab parses a colour string on every use (the profile saw it).
        return _COLORS.setdefault(self.color, HexColor(self.color))


_COLORS: dict[str, Color] = {}


@dataclass(frozen=True)
class Line:
    style: TextStyle
    runs: tuple[tuple[str, str], ...]  # (font, text)


class Measure:
    """Widths of words in one style, each word measured once per document (share one per
    style between the blocks of a document: `measures`)."""

    def __init__(self, style: TextStyle) -> None:
        self.style = style
        self.cache: dict[str, float] = {}
        self.space = stringWidth(" ", style.font, style.size)

    def __call__(self, word: str) -> float:
        width = self.cache.get(word)
        if width is None:
            font, size = self.style.font, self.style.size
            if has_symbols(word, font):
                width = sum(stringWidth(t, f, size) for f, t in font_runs(word, font))
            else:
                width = stringWidth(word, font, size)
            self.cache[word] = width
        return width


def measures(styles: Sequence[TextStyle]) -> dict[TextStyle, Measure]:
    return {style: Measure(style) for style in styles}


def _chop(word: str, width: float, measure: Measure) -> list[str]:
    """A word wider than the line, cut into pieces that fit (binary search on the length)."""
    pieces: list[str] = []
    while word and measure(word) > width:
        low, high = 1, len(word)
        while low < high:
            middle = (low + high + 1) // 2
            if measure(word[:middle]) <= width:
                low = middle
            else:
                high = middle - 1
        pieces.append(word[:low])
        word = word[low:]
    pieces.append(word)
    return pieces


def break_lines(text: str, width: float, measure: Measure) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width, started = "", 0.0, False
        for word in paragraph.split(" "):
            word_width = measure(word)
            if started and line_width + measure.space + word_width <= width:
                line += " " + word
                line_width += measure.space + word_width
                continue
            if started:
                lines.append(line)
            pieces = _chop(word, width, measure) if word_width > width else [word]
            lines.extend(pieces[:-1])
            line, started = pieces[-1], True
            line_width = measure(line)
        lines.append(line)
    return lines


class MessageBlock(Flowable):
    """Parts of plain text, each in its style, laid out as lines; splits between lines."""

    def __init__(
        self,
        parts: Sequence[tuple[TextStyle, str]] = (),
        *,
        widths: dict[TextStyle, Measure] | None = None,
        space_before: float = 6,
        lines: list[Line] | None = None,
    ) -> None:
        super().__init__()
        self.parts = parts
        self.widths = widths if widths is not None else {}
        self.space_before = space_before
        self._lines = lines
        self._laid_width: float | None = None if lines is None else -1.0
        self.height = sum(line.style.leading for line in lines) if lines else 0.0

    def getSpaceBefore(self) -> float:
        return self.space_before

    def _layout(self, width: float) -> list[Line]:
        if self._lines is not None and (self._laid_width in (width, -1.0)):
            return self._lines
        lines: list[Line] = []
        for style, text in self.parts:
            symbols = has_symbols(text, style.font)
            measure = self.widths.get(style) or self.widths.setdefault(style, Measure(style))
            for raw in break_lines(text, width, measure):
                runs = font_runs(raw, style.font) if symbols else [(style.font, raw)]
                lines.append(Line(style, tuple(runs)))
        self._lines, self._laid_width = lines, width
        return lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        self.height = sum(line.style.leading for line in self._layout(availWidth))
        return availWidth, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Any]:
        lines = self._layout(availWidth)
        used, fit = 0.0, 0
        for line in lines:
            if used + line.style.leading > availHeight:
                break
            used += line.style.leading
            fit += 1
        # The author line never stays alone at the bottom of a page.
        if fit < min(2, len(lines)) or fit >= len(lines):
            return []
        return [
            MessageBlock(lines=lines[:fit], space_before=self.space_before),
            MessageBlock(lines=lines[fit:], space_before=0),
        ]

    def draw(self) -> None:
        lines = self._lines or []
        text = self.canv.beginText()
        top = self.height
        font: tuple[str, float] | None = None
        color = None
        for line in lines:
            style = line.style
            top -= style.leading
            # Baseline about a fifth of the leading above the line's bottom, like Paragraph.
            text.setTextOrigin(0, top + (style.leading - style.size) / 2 + 0.2 * style.size)
            if style.color != color:
                color = style.color
                text.setFillColor(style.fill)
            for run_font, run in line.runs:
                if font != (run_font, style.size):
                    font = (run_font, style.size)
                    text.setFont(run_font, style.size, style.leading)
                text.textOut(run)
        self.canv.drawText(text)
