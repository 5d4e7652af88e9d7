"""Search normalisation: accent- and case-folded words, the same on import and in queries."""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not decompose (ligatures of French names: Lœuillet, Cæsar).
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(value: str) -> str:
    """ "Saint-Étienne  CEDEX" -> "saint etienne cedex": lower-case ASCII words, single spaces."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", ascii_only.lower()).strip()


def words(value: str) -> list[str]:
    return fold(value).split()


def word_column(*parts: str) -> str:
    """A column matched by ``LIKE '% tok%'``: the leading space makes every word a prefix target."""
    joined = " ".join(p for p in (fold(part) for part in parts) if p)
    return f" {joined}" if joined else ""


def search_columns(fields: dict[str, str]) -> dict[str, str]:
    """The folded columns of a DirectoryEntry, from its display fields (import and platform)."""
    family, given = fields.get("family_name", ""), fields.get("given_name", "")
    person = fields.get("kind", "person") == "person"
    name = fields.get("name", "")
    organization = fields.get("organization_name", "")
    return {
        "name_norm": fold(f"{given} {family}") if person else fold(name),
        "family_norm": fold(family) if person else fold(name),
        "given_norm": fold(given) if person else "",
        "search_norm": word_column(given, family, organization) if person else word_column(name),
        "profession_norm": word_column(
            fields.get("profession_label", ""), fields.get("specialty", "")
        ),
        "city_norm": fold(fields.get("city", "")),
    }
