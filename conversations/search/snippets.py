"""Highlighted snippets as data: ``[{"text": ..., "mark": bool}]``, never HTML.

PostgreSQL's ``ts_headline`` marks what its French configuration matched (stems included) with
two private-use characters, split here; on SQLite the same word-prefix rule as FTS5 is applied to
the message text in Python.
"""

from __future__ import annotations

import re

from backend.directory.text import fold
from conversations.search.payloads import SnippetPart

START, STOP = "\ue000", "\ue001"  # private-use code points: never typed by a user
WINDOW = 12  # words shown before and after the first match
_WORD = re.compile(r"\w+", re.UNICODE)


def _merge(parts: list[SnippetPart]) -> list[SnippetPart]:
    merged: list[SnippetPart] = []
    for part in parts:
        if not part["text"]:
            continue
        if merged and merged[-1]["mark"] == part["mark"]:
            merged[-1] = {"text": merged[-1]["text"] + part["text"], "mark": part["mark"]}
        else:
            merged.append(part)
    return merged


def from_markers(text: str) -> list[SnippetPart]:
    """``ts_headline`` output with START/STOP around matches -> parts."""
    parts: list[SnippetPart] = []
    for index, chunk in enumerate(re.split(f"[{START}{STOP}]", text)):
        parts.append({"text": chunk, "mark": index % 2 == 1})
    return _merge(parts)


def _matches(word: str, terms: list[str]) -> bool:
    folded = fold(word).replace(" ", "")
    return any(folded.startswith(term) for term in terms)


def by_prefix(body: str, terms: list[str]) -> list[SnippetPart]:
    """The words of ``body`` whose folded form starts with a folded term, in a window of
    ``WINDOW`` words around the first one (« … » where text is cut)."""
    words = list(_WORD.finditer(body))
    if not words:
        return _merge([{"text": body, "mark": False}])
    hits = {i for i, w in enumerate(words) if _matches(w.group(), terms)}
    first = min(hits) if hits else 0
    low, high = max(0, first - WINDOW), min(len(words), first + WINDOW + 1)
    start = words[low].start() if low else 0
    end = words[high - 1].end() if high < len(words) else len(body)
    parts: list[SnippetPart] = [{"text": "… ", "mark": False}] if low else []
    cursor = start
    for index in range(low, high):
        if index not in hits:
            continue
        word = words[index]
        parts.append({"text": body[cursor : word.start()], "mark": False})
        parts.append({"text": word.group(), "mark": True})
        cursor = word.end()
    parts.append({"text": body[cursor:end], "mark": False})
    if high < len(words):
        parts.append({"text": " …", "mark": False})
    return _merge(parts)
