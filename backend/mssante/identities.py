"""Identities carried by MSSanté health documents (CDA header, XDM metadata).

Plain frozen dataclasses, so the CDA and XDM builders stay free of Django: callers build them from
the Patient / Professional / Organization models. They check shapes only (digits, lengths), not
check keys nor the identity status: only a qualified INS (QUAL) may address health data to a
patient, and that check belongs to the caller.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Literal

from backend.mssante import jdv

__all__ = [
    "OID_FINESS_PREFIXED",
    "OID_INS_NIR",
    "OID_PS_NATIONAL_ID",
    "AuthorIdentity",
    "OrganizationIdentity",
    "PatientIdentity",
    "is_oid",
    "is_unique_id",
    "new_oid",
]

# INS-NIR assigning authority (the .9 NIA, .10 test and .11 demo OIDs are accepted too).
OID_INS_NIR = "1.2.250.1.213.1.4.8"
_INS_OIDS = frozenset(
    {OID_INS_NIR, "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}
)
# National identifier of a health professional ("8" + RPPS, "0" + ADELI).
OID_PS_NATIONAL_ID = "1.2.250.1.71.4.2.1"
# National identifier of a structure ("1" + FINESS, "3" + SIRET).
OID_FINESS_PREFIXED = "1.2.250.1.71.4.2.2"

_OID_RE = re.compile(r"(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+")
_UUID_RE = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
_INS_RE = re.compile(r"[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}")
_INSEE_PLACE_RE = re.compile(r"(?:[0-9]{2}|2[AB])[0-9]{3}")


def is_oid(value: str) -> bool:
    """True for a dotted OID of at most 64 characters (the XDS uniqueId limit)."""
    return len(value) <= 64 and _OID_RE.fullmatch(value) is not None


def is_unique_id(value: str) -> bool:
    """True for a document / submission unique id: an OID or a UUID."""
    return is_oid(value) or _UUID_RE.fullmatch(value) is not None


def new_oid() -> str:
    """A fresh, globally unique OID under the UUID arc 2.25 (ISO/IEC 9834-8)."""
    return f"2.25.{uuid.uuid4().int}"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _clean(value: str) -> str:
    return " ".join(value.split())


@dataclass(frozen=True)
class PatientIdentity:
    """The INS and the five strict traits of the patient (as on the birth certificate)."""

    ins: str
    ins_oid: str
    birth_name: str
    first_names: tuple[str, ...]
    birth_date: date
    sex: Literal["M", "F"]
    birth_place: str  # INSEE code of the birth commune (99 + country code when born abroad)

    def __post_init__(self) -> None:
        _require(_INS_RE.fullmatch(self.ins) is not None, "INS: 15 caractères attendus")
        _require(self.ins_oid in _INS_OIDS, f"OID d'INS inconnu : {self.ins_oid!r}")
        _require(bool(_clean(self.birth_name)), "nom de naissance vide")
        _require(
            bool(self.first_names) and all(_clean(n) for n in self.first_names),
            "prénoms de naissance vides",
        )
        _require(self.sex in ("M", "F"), "sexe : M ou F")
        _require(
            _INSEE_PLACE_RE.fullmatch(self.birth_place) is not None,
            "lieu de naissance : code INSEE à 5 caractères",
        )

    @property
    def first_name(self) -> str:
        """First birth first name (« premier prénom de naissance »)."""
        return _clean(self.first_names[0])

    @property
    def all_first_names(self) -> str:
        """All birth first names separated by spaces (« liste des prénoms de naissance »)."""
        return " ".join(_clean(n) for n in self.first_names)


@dataclass(frozen=True)
class OrganizationIdentity:
    """A structure identified by FINESS (Corsica: 2A / 2B); ``kind`` is the platform's
    organisation kind, from which the facility type and practice setting codes follow."""

    finess: str
    name: str
    kind: str = "other"

    def __post_init__(self) -> None:
        _require(
            re.fullmatch(r"(?:[0-9]{2}|2[AB])[0-9]{7}", self.finess) is not None,
            "FINESS : 9 caractères (2A/2B en Corse)",
        )
        _require(bool(_clean(self.name)), "raison sociale vide")

    @property
    def national_id(self) -> str:
        """National identifier of the structure: "1" + FINESS."""
        return "1" + self.finess

    @property
    def facility_type(self) -> jdv.Code:
        return jdv.facility_type(self.kind)

    @property
    def practice_setting(self) -> jdv.Code:
        return jdv.practice_setting(self.kind)


@dataclass(frozen=True)
class AuthorIdentity:
    """A health professional identified by RPPS; the profession code is from TRE_G15, the role
    (JDV_J01) from it and the specialty; ``organization`` is where they author the document."""

    rpps: str
    family_name: str
    given_name: str
    profession_code: str
    profession_label: str
    specialty: str = ""
    organization: OrganizationIdentity | None = None

    @property
    def role(self) -> jdv.Code:
        return jdv.author_role(self.profession_code, self.specialty)

    def __post_init__(self) -> None:
        _require(re.fullmatch(r"[0-9]{11}", self.rpps) is not None, "RPPS : 11 chiffres")
        _require(bool(_clean(self.family_name)), "nom d'exercice vide")
        _require(bool(self.profession_code.strip()), "code profession vide")

    @property
    def national_id(self) -> str:
        """National identifier of the professional: "8" + RPPS."""
        return "8" + self.rpps
