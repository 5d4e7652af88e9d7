"""The five strict identity traits: normalised comparison, and their agreement with an INS.

Pure Python, no Django. Identity vigilance (RNIV) compares identities on the strict traits: birth
name, first names, birth date, sex, INSEE code of the birth place. Typing habits differ (accents,
hyphens, apostrophes, double spaces), so comparison is on a normalised form.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from backend.patients.ins import InsInfo

__all__ = ["Traits", "normalise_name", "traits_mismatches"]

_SEPARATORS = re.compile("[\\s\\-'\u2019]+")  # \u2019: typographic apostrophe

# INSEE code of Tunisia as a birth country (99 + 351). A person born in Tunisia before 1956 has
# département 96 in their NIR (référentiel INS); today's birth-place code for them is the
# country code.
TUNISIA_COUNTRY_CODE = "99351"
# Corsica was département 20 before 1976: an old NIR says 20 where the commune code says 2A/2B.
_CORSICA = {"20", "2A", "2B"}


def normalise_name(value: str) -> str:
    """Upper case, no accents, one space between words ("Lefèbvre-d'Arc" -> "LEFEBVRE D ARC")."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", plain).strip().upper()


@dataclass(frozen=True)
class Traits:
    birth_name: str
    first_names: Sequence[str]
    birth_date: datetime.date
    sex: str
    birth_place: str

    @property
    def first_name(self) -> str:
        return self.first_names[0] if self.first_names else ""

    @property
    def complete(self) -> bool:
        return bool(self.birth_name and self.first_name and self.sex and self.birth_place)

    def key(self) -> str:
        """A stable digest of the normalised five traits (the first first-name only: lists of
        first names are often typed incompletely)."""
        text = "|".join(
            [
                normalise_name(self.birth_name),
                normalise_name(self.first_name),
                self.birth_date.isoformat(),
                self.sex,
                self.birth_place.upper(),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def name_key(self) -> tuple[str, datetime.date, str]:
        """What a possible duplicate shares: birth name, birth date and sex."""
        return normalise_name(self.birth_name), self.birth_date, self.sex


def _place_agrees(info: InsInfo, birth_place: str) -> bool:
    place = birth_place.upper()
    if info.birth_department == "96":
        return place == TUNISIA_COUNTRY_CODE or place.startswith("96")
    if info.born_abroad:
        return place == info.insee_place_code
    if info.birth_department in _CORSICA:
        return place[:2] in _CORSICA
    return place.startswith(info.birth_department)


def traits_mismatches(info: InsInfo, traits: Traits) -> list[str]:
    """The traits that contradict the INS matricule, in French, empty when they agree.

    Référentiel INS: sex, year and month of birth, and the birth département (or country when born
    abroad) must agree with the matricule before an identity can be qualified.
    """
    mismatches = []
    if info.sex != traits.sex:
        mismatches.append("sexe")
    if info.birth_year % 100 != traits.birth_date.year % 100:
        mismatches.append("année de naissance")
    if info.birth_month is not None and info.birth_month != traits.birth_date.month:
        mismatches.append("mois de naissance")
    if traits.birth_place and not _place_agrees(info, traits.birth_place):
        mismatches.append("lieu de naissance")
    return mismatches
