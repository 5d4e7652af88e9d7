"""Search normalisation: accent- and case-folded words, the same on import and in queries.

The search column holds every word a user may type to find an entry: the name, the structure,
the profession in its masculine and feminine forms (the Annuaire publishes « Infirmier », users
type « infirmière »), the specialty and the practitioner's noun (« Cardiologie » also gives
« cardiologue »), and for a mailbox its service, address lines and the words of its address.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters NFKD does not decompose (ligatures of French names: Lœuillet, Cæsar).
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Masculine ending -> feminine ending, longest first (infirmier, pharmacien, masseur,
# manipulateur, orthoptiste unchanged). Applied to the words of a profession label.
_FEMININE = (
    ("teur", "trice"),
    ("ier", "iere"),
    ("ien", "ienne"),
    ("eur", "euse"),
    ("if", "ive"),
)
# Specialty ending -> the practitioner's noun (cardiologie -> cardiologue, pediatrie -> pediatre).
_PRACTITIONER = (("logie", "logue"), ("iatrie", "iatre"), ("urgie", "urgien"))
# Whole labels whose other name is not a suffix away.
_SYNONYMS = {
    "sage femme": "maieuticien maieuticienne",
    "medecine generale": "generaliste medecin traitant",
    "medecin": "docteur",
}
# Fold results repeat heavily on import (towns, structures, labels): cached.
_FOLD_CACHE = 1 << 16


@lru_cache(maxsize=_FOLD_CACHE)
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


@lru_cache(maxsize=1024)
def label_forms(label: str) -> str:
    """The folded label plus its other forms: feminine of a profession, practitioner of a
    specialty, known synonyms ("" for an empty label)."""
    folded = fold(label)
    extra = [_SYNONYMS.get(folded, "")]
    for word in folded.split():
        for endings in (_FEMININE, _PRACTITIONER):
            for ending, other in endings:
                if word.endswith(ending) and len(word) > len(ending) + 2:
                    extra.append(word[: -len(ending)] + other)
                    break
    return " ".join(part for part in (folded, *extra) if part)


def search_columns(fields: dict[str, str]) -> dict[str, str | int]:
    """The folded columns of a DirectoryEntry, from its display fields (import and platform)."""
    family, given = fields.get("family_name", ""), fields.get("given_name", "")
    person = fields.get("kind", "person") == "person"
    name = fields.get("name", "")
    organization = fields.get("organization_name", "")
    profession = " ".join(
        f
        for f in (
            label_forms(fields.get("profession_label", "")),
            label_forms(fields.get("specialty", "")),
        )
        if f
    )
    names = (given, family, organization) if person else (name,)
    return {
        "name_norm": fold(f"{given} {family}") if person else fold(name),
        "family_norm": fold(family) if person else fold(name),
        "given_norm": fold(given) if person else "",
        "rev_norm": fold(f"{family} {given}") if person else fold(name),
        "search_norm": word_column(*names, profession, fields.get("keywords", "")),
        "profession_norm": f" {profession}" if profession else "",
        "city_norm": fold(fields.get("city", "")),
        # Platform entries first on ties: a conversation can start at once.
        "listing": 0 if fields.get("source") == "platform" else 1,
    }
