"""The two public Annuaire Santé extractions: header detection and row parsing by column name.

Both are ``|``-separated UTF-8 text with one header line (Annuaire Santé extraction specification).
Columns are found by header name, never by position: PS_LibreAcces has had 52 and 56 columns.
Pure functions, no database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from backend.accounts.identifiers import (
    NATIONAL_ID_PREFIX_ADELI,
    NATIONAL_ID_PREFIX_RPPS,
    is_valid_adeli,
    is_valid_rpps,
)
from backend.directory.text import fold
from backend.mssante.addresses import address_syntax_error

MSSANTE = "mssante"
PS = "ps"

# Extraction_Correspondance_MSSante: header names exactly as published (31 columns).
MSSANTE_COLUMNS = [
    "Type de BAL", "Adresse BAL", "Type Identifiant PP", "Identifiant PP",
    "Identification nationale PP", "Type identifiant structure", "Identification Structure",
    "Service de rattachement", "Civilité d'exercice", "Nom d'exercice", "Prénom d'exercice",
    "Catégorie profession", "Libellé de catégorie profession", "Code Profession",
    "Libellé Profession", "Code savoir-faire", "Libellé savoir-faire", "Dématérialisation",
    "Raison Sociale structure BAL", "Enseigne commerciale structure BAL",
    "L2COMPLEMENTLOCALISATION structure BAL", "L3COMPLEMENTDISTRIBUTION structure BAL",
    "L4NUMEROVOIE structure BAL", "L4COMPLEMENTNUMEROVOIE structure BAL",
    "NL4TYPEVOIE structure BAL", "L4LIBELLEVOIE structure BAL",
    "L5LIEUDITMENTION structure BAL", "L6LIGNEACHEMINEMENT structure BAL",
    "Code postal structure BAL", "Département structure BAL", "Pays structure BAL",
]  # fmt: skip

# PS_LibreAcces_Personne_activite: the logical fields we need, each with the header names it may
# carry, first match wins. Verified (Annuaire Santé specification): "Type d'identifiant PP",
# "Identifiant PP", "Identification nationale PP", "Code civilité d'exercice", "Nom d'exercice",
# "Prénom d'exercice", "Code profession", "Libellé profession", "Code savoir-faire",
# "Libellé savoir-faire", "Raison sociale site". *Unverified* (recalled from the published
# files, not checked against a current extraction): the "(coord. structure)" address columns,
# "Identifiant technique de la structure", "Numéro FINESS site", "Numéro SIRET site",
# "Enseigne commerciale site"; the plain "Commune" / "Code postal" aliases cover the simpler form.
PS_FIELDS: dict[str, tuple[str, ...]] = {
    "type_pp": ("Type d'identifiant PP",),
    "id_pp": ("Identifiant PP",),
    "national_id": ("Identification nationale PP",),
    "title": ("Code civilité d'exercice",),
    "family_name": ("Nom d'exercice",),
    "given_name": ("Prénom d'exercice",),
    "profession_code": ("Code profession",),
    "profession_label": ("Libellé profession",),
    "specialty": ("Libellé savoir-faire",),
    "structure_id": (
        "Identifiant technique de la structure",
        "Numéro FINESS site",
        "Numéro SIRET site",
    ),
    "organization": ("Raison sociale site", "Enseigne commerciale site"),
    "postcode": ("Code postal (coord. structure)", "Code postal"),
    "city": ("Libellé commune (coord. structure)", "Commune", "Libellé commune"),
    "cedex": ("Bureau cedex (coord. structure)",),
    "street": ("Libellé Voie (coord. structure)",),
}
PS_REQUIRED = ("type_pp", "id_pp", "family_name")

# "Civilité d'exercice" codes shown before the name; M / MME are civilities, not shown.
_TITLES = {"DR": "Dr", "PR": "Pr"}
# The structure's address lines searched as keywords (a service is often only written there).
_ADDRESS_LINES = (
    "L2COMPLEMENTLOCALISATION",
    "L3COMPLEMENTDISTRIBUTION",
    "L4LIBELLEVOIE",
    "L5LIEUDITMENTION",
)
_LEADING_POSTCODE = re.compile(r"^\d{5}\s+")
_POSTCODE = re.compile(r"^\d{5}$")


class FormatError(ValueError):
    """The file is not one of the two extractions (French message for the terminal)."""


class RowError(ValueError):
    """A malformed line: reported with its number and skipped."""


@dataclass(frozen=True)
class Layout:
    source: str
    columns: dict[str, int]  # header name -> position
    width: int  # fields per line once the trailing "|" is dropped
    trailing_separator: bool


@dataclass
class ParsedRow:
    entry: dict[str, str]  # DirectoryEntry field values (without the folded columns)
    address: tuple[str, str] | None = None  # (address, kind) for the correspondence file


def split_line(line: str, layout: Layout) -> list[str]:
    line = line.rstrip("\r\n")
    values = line.split("|")
    if layout.trailing_separator and values and values[-1] == "":
        values.pop()
    return values


def detect(header_line: str) -> Layout:
    header = header_line.lstrip("\ufeff").rstrip("\r\n")
    names = [name.strip() for name in header.split("|")]
    trailing = bool(names) and names[-1] == ""
    if trailing:
        names.pop()
    columns = {name: position for position, name in enumerate(names)}
    if {"Type de BAL", "Adresse BAL"} <= columns.keys():
        missing = [name for name in MSSANTE_COLUMNS if name not in columns]
        if missing:
            raise FormatError(
                "Extraction MSSanté incomplète : colonnes absentes " + ", ".join(missing) + "."
            )
        return Layout(MSSANTE, columns, len(names), trailing)
    if "Identification nationale PP" in columns and "Nom d'exercice" in columns:
        for logical in PS_REQUIRED:
            if not any(name in columns for name in PS_FIELDS[logical]):
                raise FormatError(
                    f"Extraction PS_LibreAcces incomplète : colonne « {PS_FIELDS[logical][0]} » "
                    "absente."
                )
        return Layout(PS, columns, len(names), trailing)
    raise FormatError(
        "Format de fichier non reconnu : ni extraction de correspondance MSSanté, "
        "ni PS_LibreAcces Personne_activite (d'après la ligne d'en-tête)."
    )


def _national_id(type_pp: str, id_pp: str, national_id: str) -> tuple[str, str]:
    """(national id, rpps) after checking the identifier's key; raises RowError."""
    if type_pp == NATIONAL_ID_PREFIX_RPPS:
        if not is_valid_rpps(id_pp):
            raise RowError(f"numéro RPPS « {id_pp} » invalide (11 chiffres, clé de Luhn)")
        expected, rpps = NATIONAL_ID_PREFIX_RPPS + id_pp, id_pp
    elif type_pp == NATIONAL_ID_PREFIX_ADELI:
        if not is_valid_adeli(id_pp):
            raise RowError(f"numéro ADELI « {id_pp} » invalide")
        expected, rpps = NATIONAL_ID_PREFIX_ADELI + id_pp, ""
    else:
        raise RowError(f"type d'identifiant PP « {type_pp} » inconnu (0 ADELI, 8 RPPS)")
    if national_id and national_id != expected:
        raise RowError(f"identification nationale PP « {national_id} » incohérente")
    return expected, rpps


def _place(city: str, postcode: str) -> tuple[str, str]:
    city = _LEADING_POSTCODE.sub("", city.strip())
    postcode = postcode.strip()
    return city, postcode if _POSTCODE.match(postcode) else ""


def _person_name(title: str, given: str, family: str) -> str:
    return " ".join(part for part in (_TITLES.get(title.upper(), ""), given, family) if part)


def _structure_key(structure_id: str, organization: str, postcode: str) -> str:
    return structure_id or f"{fold(organization).replace(' ', '-')}:{postcode}"


def parse_row(values: Sequence[str], layout: Layout) -> ParsedRow:
    if len(values) != layout.width:
        raise RowError(f"{len(values)} colonnes au lieu de {layout.width}")
    if layout.source == MSSANTE:
        return _parse_mssante(values, layout.columns)
    return _parse_ps(values, layout.columns)


def _parse_mssante(values: Sequence[str], columns: dict[str, int]) -> ParsedRow:
    def col(name: str) -> str:
        return values[columns[name]].strip()

    kind = col("Type de BAL").upper()
    # CAB: the mailbox of a practice (cabinet), a structure mailbox like ORG.
    if kind not in {"PER", "ORG", "APP", "CAB"}:
        raise RowError(f"type de BAL « {col('Type de BAL')} » inconnu (PER, ORG, APP ou CAB)")
    address = col("Adresse BAL").lower()
    problem = address_syntax_error(address)
    if problem:
        raise RowError(f"adresse BAL invalide : {problem}")
    organization = col("Raison Sociale structure BAL") or col("Enseigne commerciale structure BAL")
    city, postcode = _place(
        col("L6LIGNEACHEMINEMENT structure BAL"), col("Code postal structure BAL")
    )
    service = col("Service de rattachement")
    address_lines = [col(f"{line} structure BAL") for line in _ADDRESS_LINES]
    entry = {
        "source": MSSANTE,
        "keywords": " ".join(
            part
            for part in (service, col("Enseigne commerciale structure BAL"), *address_lines)
            if part
        ),
        "organization_name": organization,
        "city": city,
        "postcode": postcode,
        "profession_code": col("Code Profession"),
        "profession_label": col("Libellé Profession"),
        "specialty": col("Libellé savoir-faire"),
    }
    id_pp = col("Identifiant PP")
    # ORG, APP and CAB mailboxes belong to the structure, even when a responsible PP is named.
    if kind == "PER":
        if not id_pp:
            raise RowError("BAL nominative sans identifiant PP")
        national_id, rpps = _national_id(
            col("Type Identifiant PP"), id_pp, col("Identification nationale PP")
        )
        family, given = col("Nom d'exercice"), col("Prénom d'exercice")
        if not family:
            raise RowError("nom d'exercice absent")
        structure = _structure_key(col("Identification Structure"), organization, postcode)
        entry |= {
            "key": f"mssante:pp:{national_id}:{structure}"[:300],
            "kind": "person",
            "national_id": national_id,
            "rpps": rpps,
            "title": _TITLES.get(col("Civilité d'exercice").upper(), ""),
            "family_name": family,
            "given_name": given,
            "name": _person_name(col("Civilité d'exercice"), given, family),
        }
    else:
        name = " — ".join(part for part in (service, organization) if part) or address
        # The words of a team address (« addictologie.secretariat@… ») are searched too.
        local = address.split("@")[0].replace(".", " ").replace("-", " ").replace("_", " ")
        entry |= {
            "key": f"mssante:bal:{address}",
            "kind": "mailbox",
            "name": name[:300],
            "keywords": f"{entry['keywords']} {local}"[:500],
        }
    return ParsedRow(entry=entry, address=(address, kind))


def _parse_ps(values: Sequence[str], columns: dict[str, int]) -> ParsedRow:
    def col(logical: str) -> str:
        for name in PS_FIELDS[logical]:
            if name in columns:
                value = values[columns[name]].strip()
                if value:
                    return value
        return ""

    national_id, rpps = _national_id(col("type_pp"), col("id_pp"), col("national_id"))
    family, given = col("family_name"), col("given_name")
    if not family:
        raise RowError("nom d'exercice absent")
    organization = col("organization")
    city, postcode = _place(col("city") or col("cedex"), col("postcode"))
    structure = _structure_key(col("structure_id"), organization, postcode)
    return ParsedRow(
        entry={
            "source": PS,
            "keywords": col("street")[:500],
            "key": f"ps:{national_id}:{structure}"[:300],
            "kind": "person",
            "national_id": national_id,
            "rpps": rpps,
            "title": _TITLES.get(col("title").upper(), ""),
            "family_name": family,
            "given_name": given,
            "name": _person_name(col("title"), given, family),
            "profession_code": col("profession_code"),
            "profession_label": col("profession_label"),
            "specialty": col("specialty"),
            "organization_name": organization,
            "city": city,
            "postcode": postcode,
        }
    )
