"""INS (Identifiant National de Santé) matricule: checking and decoding the NIR / NIA.

Pure Python, no Django. Layout (1-based positions), per the référentiel INS (ANS):

    1      sex: 1 man, 2 woman; 3/4 a temporary number, 7/8 a NIA (a person being registered),
           with the same odd = man, even = woman rule
    2-3    birth year (2 digits)
    4-5    birth month: 01-12 known; 20-30 or >= 50 unknown; 31-42 known from an incomplete
           document (31 = January ... 42 = December)
    6-7    birth département: 01-95, 2A/2B Corsica, 96 Tunisia before 1956, 99 abroad; overseas
           uses 3 digits (6-8: 97x/98x)
    8-10   commune (or country when abroad); only 9-10 for overseas départements
    11-13  order number
    14-15  key = 97 - (first 13 as a number mod 97), 2A read as 19 and 2B as 18

Decoding says nothing about the identity status: only a qualified INS (QUAL) may be used to address
health data to a patient, and that check belongs to the caller.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "OID_DEMO",
    "OID_NIA",
    "OID_NIR",
    "OID_TEST",
    "InsError",
    "InsErrorCode",
    "InsInfo",
    "ins_key",
    "ins_oid",
    "make_ins",
    "parse_ins",
]

OID_NIR = "1.2.250.1.213.1.4.8"
OID_NIA = "1.2.250.1.213.1.4.9"
OID_TEST = "1.2.250.1.213.1.4.10"
OID_DEMO = "1.2.250.1.213.1.4.11"

INS_LENGTH = 15
_BODY_LENGTH = 13

InsErrorCode = Literal[
    "ins_empty",
    "ins_length",
    "ins_characters",
    "ins_sex",
    "ins_month",
    "ins_department",
    "ins_key",
]
Sex = Literal["M", "F"]
InsKind = Literal["NIR", "temporary", "NIA"]

# First digit -> (sex, kind). Référentiel INS: 7/8 are NIA (numéro identifiant d'attente); 3/4 are
# temporary numbers. Both carry the NIA OID (issue 16; *unverified* for 3/4 against the INS
# guide, so it is kept in this one table).
_FIRST_DIGIT: dict[str, tuple[Sex, InsKind]] = {
    "1": ("M", "NIR"),
    "2": ("F", "NIR"),
    "3": ("M", "temporary"),
    "4": ("F", "temporary"),
    "7": ("M", "NIA"),
    "8": ("F", "NIA"),
}
BirthMonthSource = Literal["known", "unknown", "incomplete_document"]

# Digits everywhere, except 2A/2B (Corsica) at positions 6-7. [0-9] rather than \d, which matches
# non-ASCII digits.
_BODY_RE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{6}")
_INS_RE = re.compile(_BODY_RE.pattern + r"[0-9]{2}")

# Corsica is read as a number for the key: 2A -> 19, 2B -> 18 (i.e. "20" minus 1 or 2 million).
_CORSICA_KEY_DIGITS = {"2A": "19", "2B": "18"}

# INSEE codes of overseas départements and collectivities (3 digits). From the INSEE geographic
# code as known to the author, not checked against an official list: 971-978 (Guadeloupe,
# Martinique, Guyane, La Réunion, Saint-Pierre-et-Miquelon, Mayotte, Saint-Barthélemy,
# Saint-Martin), 984 TAAF, 985 Mayotte before 2011, 986-989 (Wallis-et-Futuna, Polynésie
# française, Nouvelle-Calédonie, Clipperton).
OVERSEAS_DEPARTMENTS = frozenset(
    {
        "971",
        "972",
        "973",
        "974",
        "975",
        "976",
        "977",
        "978",
        "984",
        "985",
        "986",
        "987",
        "988",
        "989",
    }
)
ABROAD_DEPARTMENT = "99"

_MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


class InsError(ValueError):
    """An INS that cannot be accepted; ``message`` is meant to be shown to a clinician."""

    def __init__(self, code: InsErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: InsErrorCode = code
        self.message = message


@dataclass(frozen=True)
class InsInfo:
    """What an INS matricule says about its holder."""

    ins: str
    sex: Sex
    birth_year: int
    birth_month: int | None
    birth_month_source: BirthMonthSource
    birth_department: str
    born_abroad: bool
    place_code: str
    key: str
    kind: InsKind = "NIR"

    @property
    def insee_place_code(self) -> str:
        """5-character INSEE code of the birth place (commune, or 99 + country when abroad)."""
        return self.birth_department + self.place_code

    @property
    def mssante_address(self) -> str:
        """Patient MSSanté address. Only usable once the caller has checked the INS is QUAL."""
        return f"{self.ins}@patient.mssante.fr"

    @property
    def summary(self) -> str:
        """French sentence, e.g. "Une femme, née en mars 1985, née dans le département 77"."""
        woman = self.sex == "F"
        article = "Une femme" if woman else "Un homme"
        born = "née" if woman else "né"
        if self.birth_month is None:
            birth = f"{self.birth_year} (mois inconnu)"
        else:
            birth = f"{_MONTH_NAMES[self.birth_month - 1]} {self.birth_year}"
            if self.birth_month_source == "incomplete_document":
                birth += " (mois d'après un document incomplet)"
        place = (
            "à l'étranger" if self.born_abroad else f"dans le département {self.birth_department}"
        )
        return f"{article}, {born} en {birth}, {born} {place}"


def _normalise(raw: str) -> str:
    # str.split() also drops tabs and non-breaking spaces pasted from documents.
    return "".join(raw.split()).upper()


def _compute_key(body: str) -> str:
    """Key of an already validated 13-character body."""
    department = body[5:7]
    if department in _CORSICA_KEY_DIGITS:
        body = body[:5] + _CORSICA_KEY_DIGITS[department] + body[7:]
    return f"{97 - int(body) % 97:02d}"


def ins_key(first13: str) -> str:
    """2-digit key of the first 13 characters of an INS (2A/2B allowed at positions 6-7).

    Raises ``ValueError`` if ``first13`` does not have that shape.
    """
    if not _BODY_RE.fullmatch(first13):
        raise ValueError(f"expected 13 digits (2A/2B allowed at positions 6-7), got {first13!r}")
    return _compute_key(first13)


def _decode_month(code: int) -> tuple[int | None, BirthMonthSource]:
    if 1 <= code <= 12:
        return code, "known"
    if 31 <= code <= 42:
        return code - 30, "incomplete_document"
    if 20 <= code <= 30 or code >= 50:
        return None, "unknown"
    raise InsError(
        "ins_month",
        f"Le mois de naissance indiqué dans l'INS (positions 4 et 5 : « {code:02d} ») "
        "n'est pas valide. Vérifiez la saisie.",
    )


def _decode_place(ins: str) -> tuple[str, str]:
    """Return (birth département, place code) read from positions 6 to 10."""
    department = ins[5:7]
    if department in ("97", "98"):
        department = ins[5:8]
        valid = department in OVERSEAS_DEPARTMENTS
    else:
        # "20" stays valid: Corsica before its split in 1976. 2A/2B passed the character check.
        # 96: born in Tunisia before 1956 (91-94 may likewise mean Algeria before 1962).
        valid = (
            department in _CORSICA_KEY_DIGITS
            or "01" <= department <= "96"
            or department == ABROAD_DEPARTMENT
        )
    if not valid:
        raise InsError(
            "ins_department",
            f"Le département de naissance indiqué dans l'INS (« {department} ») "
            "n'existe pas. Vérifiez la saisie.",
        )
    return department, ins[5 + len(department) : 10]


def _birth_year(two_digits: int, today: datetime.date) -> int:
    # The NIR holds no century. Heuristic: the most recent year not after today's year, so a
    # patient is never born in the future; a centenarian (born 1920 read in 2025) is decoded as
    # born in 2020 and must be corrected from the identity's birth date.
    year = 2000 + two_digits
    return year if year <= today.year else year - 100


def parse_ins(raw: str, today: datetime.date | None = None) -> InsInfo:
    """Check and decode an INS matricule; spaces are tolerated and letters upper-cased.

    Checks run from shape to meaning (characters, sex, month, département, then key), so the
    error reported is the most basic one. ``today`` (default: the current date) only feeds the
    century heuristic for the birth year. Raises ``InsError``.
    """
    ins = _normalise(raw)
    if not ins:
        raise InsError("ins_empty", "Le matricule INS n'est pas renseigné.")
    if len(ins) != INS_LENGTH:
        raise InsError(
            "ins_length",
            f"Le matricule INS doit comporter 15 caractères (clé comprise) ; {len(ins)} saisis.",
        )
    if not _INS_RE.fullmatch(ins):
        raise InsError(
            "ins_characters",
            "Le matricule INS ne doit contenir que des chiffres, sauf 2A ou 2B pour un "
            "département de naissance en Corse.",
        )
    if ins[0] not in _FIRST_DIGIT:
        raise InsError(
            "ins_sex",
            "Le premier chiffre du matricule INS doit être 1 ou 2 (3 ou 4 pour un numéro "
            "provisoire, 7 ou 8 pour un NIA).",
        )
    sex, kind = _FIRST_DIGIT[ins[0]]
    birth_month, month_source = _decode_month(int(ins[3:5]))
    department, place_code = _decode_place(ins)
    key = ins[13:]
    # The message does not give the expected key: it would invite "fixing" the key over a typo.
    if _compute_key(ins[:13]) != key:
        raise InsError(
            "ins_key",
            "La clé du matricule INS ne correspond pas au numéro : vérifiez la saisie.",
        )
    return InsInfo(
        ins=ins,
        sex=sex,
        birth_year=_birth_year(int(ins[1:3]), today or datetime.date.today()),
        birth_month=birth_month,
        birth_month_source=month_source,
        birth_department=department,
        born_abroad=department == ABROAD_DEPARTMENT,
        place_code=place_code,
        key=key,
        kind=kind,
    )


def ins_oid(ins: str, *, test_data: bool) -> str:
    """The OID that qualifies an INS: NIR or NIA in production, the test OID everywhere else
    (référentiel INS: test and demo data never carry the production OIDs)."""
    if test_data:
        return OID_TEST
    return OID_NIR if ins[:1] in "12" else OID_NIA


def make_ins(sex: str, year: int, month: int, department: str, commune: str, order: int) -> str:
    """Build a valid INS for demo or test data (never use it for a real patient).

    ``sex`` is "M" or "F" (or a first digit "1"-"8" for temporary and NIA numbers); ``year``
    keeps its last 2 digits; ``month`` is the raw 2-digit code (so
    unknown or incomplete-document months can be generated); ``department`` is "77", "2A", "974",
    "99"...; ``commune`` completes it to 5 characters (3 digits, 2 for overseas, the country code
    when abroad); ``order`` is 1-999. Raises ``ValueError`` (``InsError`` for what
    ``parse_ins`` rejects).
    """
    sex_digit = {"M": "1", "F": "2"}.get(sex, sex if sex in _FIRST_DIGIT else None)
    if sex_digit is None:
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    if not 0 <= month <= 99 or not 1 <= order <= 999 or year < 0:
        raise ValueError(f"out of range: year={year}, month={month}, order={order}")
    if len(department) + len(commune) != 5:
        raise ValueError(f"department + commune must be 5 characters: {department!r}, {commune!r}")
    body = f"{sex_digit}{year % 100:02d}{month:02d}{department}{commune}{order:03d}"
    if not _BODY_RE.fullmatch(body):
        raise ValueError(f"not an INS body: {body!r}")
    ins = body + _compute_key(body)
    parse_ins(ins)  # reuse parse_ins for the month and département rules
    return ins
