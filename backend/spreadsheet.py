"""What every CSV/XLSX export shares: a cell never starts a formula.

A value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is neutralised with a
leading apostrophe (OWASP "CSV injection"): the spreadsheet shows it as text, never runs it.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value
