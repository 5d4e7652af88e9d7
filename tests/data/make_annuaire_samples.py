"""Generates the committed Annuaire Santé sample files (and the benchmark's large file).

    .venv/bin/python tests/data/make_annuaire_samples.py     # rewrites the two samples

Deterministic (fixed seed), fictitious people and structures, valid RPPS / FINESS keys. The first
rows are "anchors" the tests search for; a few deliberately malformed lines follow, at known line
numbers (``MSSANTE_BAD_LINES``, ``PS_BAD_LINES``).
"""

from __future__ import annotations

import random
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from backend.accounts.identifiers import make_finess, make_rpps  # noqa: E402
from backend.directory.formats import MSSANTE_COLUMNS  # noqa: E402

HERE = Path(__file__).resolve().parent
MSSANTE_SAMPLE = HERE / "annuaire_mssante_sample.txt"
PS_SAMPLE = HERE / "ps_libreacces_personne_activite_sample.txt"
SEED = 2024

# PS_LibreAcces_Personne_activite header, 52 columns. *Unverified* beyond the names listed in
# backend/directory/formats.py: recalled from the published extraction, good enough to exercise
# parsing by header name. The 56-column variant appends PS_EXTRA_COLUMNS (also unverified).
PS_COLUMNS = [
    "Type d'identifiant PP", "Identifiant PP", "Identification nationale PP",
    "Code civilité d'exercice", "Libellé civilité d'exercice", "Code civilité", "Libellé civilité",
    "Nom d'exercice", "Prénom d'exercice", "Code profession", "Libellé profession",
    "Code catégorie professionnelle", "Libellé catégorie professionnelle",
    "Code type savoir-faire", "Libellé type savoir-faire", "Code savoir-faire",
    "Libellé savoir-faire", "Code mode exercice", "Libellé mode exercice", "Numéro SIRET site",
    "Numéro SIREN site", "Numéro FINESS site", "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure", "Raison sociale site", "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)", "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)", "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)", "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)", "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)", "Code commune (coord. structure)",
    "Libellé commune (coord. structure)", "Code pays (coord. structure)",
    "Libellé pays (coord. structure)", "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)", "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)", "Code Département (structure)",
    "Libellé Département (structure)", "Ancien identifiant de la structure",
    "Autorité d'enregistrement", "Code secteur d'activité", "Libellé secteur d'activité",
    "Code section tableau pharmaciens", "Libellé section tableau pharmaciens",
]  # fmt: skip
PS_EXTRA_COLUMNS = ["Code rôle", "Libellé rôle", "Code genre activité", "Libellé genre activité"]

FAMILY = [
    "Dupont", "Lefèvre", "Bénard", "Moreau", "Girard", "Rousseau", "Mercier", "Faure",
    "Gauthier", "Chevalier", "Lœuillet", "Noël", "Boyer", "Garnier", "Perrin", "Clément",
    "Roussel", "Hébert", "Brûlé", "Léger", "Fournier", "Masson", "Marchand", "Lemaître",
    "Da Silva", "Le Goff", "N'Diaye", "Saint-Ange", "Vasseur", "Poirier",
]  # fmt: skip
GIVEN = [
    "Jean", "Hélène", "Éloïse", "François", "Zoé", "Loïc", "Anaïs", "Jérôme", "Cécile",
    "Noémie", "Gaëlle", "Benoît", "Thérèse", "Raphaël", "Léa", "Inès", "Maël", "Chloé", "Joël",
    "Pierre",
]  # fmt: skip
# (code, label, [(savoir-faire code, label)]) — codes of the Annuaire Santé nomenclature.
PROFESSIONS = [
    ("10", "Médecin", [("SM26", "Médecine générale"), ("SM04", "Cardiologie"),
                       ("SM15", "Dermatologie"), ("SM40", "Pédiatrie")]),
    ("21", "Pharmacien", [("", "")]),
    ("50", "Sage-femme", [("", "")]),
    ("60", "Infirmier", [("", "")]),
    ("70", "Masseur-kinésithérapeute", [("", "")]),
    ("91", "Orthophoniste", [("", "")]),
]  # fmt: skip
TOWNS = [
    ("Le Mans", "72000"), ("Évreux", "27000"), ("Besançon", "25000"),
    ("Saint-Étienne", "42000"), ("Orléans", "45000"), ("Nîmes", "30000"), ("Angers", "49000"),
    ("Laval", "53000"), ("Béziers", "34500"), ("Alençon", "61000"), ("Châteauroux", "36000"),
]  # fmt: skip
STRUCTURE_KINDS = ["Centre hospitalier fictif", "Cabinet médical", "Maison de santé", "Pharmacie"]


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("œ", "oe")).encode("ascii", "ignore")
    cleaned = "".join(c if c.isalnum() else "-" for c in ascii_text.decode().lower())
    return "-".join(part for part in cleaned.split("-") if part)


def structures() -> list[dict[str, str]]:
    result = []
    for index, (town, postcode) in enumerate(TOWNS):
        for k, kind in enumerate(STRUCTURE_KINDS):
            name = f"{kind} — {town}"
            result.append(
                {
                    "finess": make_finess(f"{postcode[:2]}9{index:02d}{k:03d}"),
                    "name": name,
                    "town": town,
                    "postcode": postcode,
                    "domain": f"{slug(kind)}-{slug(town)}.mssante.fr",
                }
            )
    return result


def mssante_row(kind: str, address: str, person: dict[str, str] | None, site: dict[str, str],
                service: str = "", place: str = "") -> str:  # fmt: skip
    values = dict.fromkeys(MSSANTE_COLUMNS, "")
    values |= {
        "L2COMPLEMENTLOCALISATION structure BAL": place,
        "Type de BAL": kind,
        "Adresse BAL": address,
        "Type identifiant structure": "1",
        "Identification Structure": site["finess"],
        "Service de rattachement": service,
        "Dématérialisation": "O",
        "Raison Sociale structure BAL": site["name"],
        "L6LIGNEACHEMINEMENT structure BAL": f"{site['postcode']} {site['town'].upper()}",
        "Code postal structure BAL": site["postcode"],
        "Département structure BAL": site["postcode"][:2],
        "Pays structure BAL": "France",
    }
    if person:
        values |= {
            "Type Identifiant PP": "8",
            "Identifiant PP": person["rpps"],
            "Identification nationale PP": "8" + person["rpps"],
            "Civilité d'exercice": person.get("title", ""),
            "Nom d'exercice": person["family"],
            "Prénom d'exercice": person["given"],
            "Catégorie profession": "C",
            "Libellé de catégorie profession": "Civil",
            "Code Profession": person["code"],
            "Libellé Profession": person["label"],
            "Code savoir-faire": person.get("sf_code", ""),
            "Libellé savoir-faire": person.get("sf_label", ""),
        }
    return "|".join(values[name] for name in MSSANTE_COLUMNS)


def random_person(rng: random.Random, index: int) -> dict[str, str]:
    code, label, specialties = rng.choice(PROFESSIONS)
    sf_code, sf_label = rng.choice(specialties)
    return {
        "rpps": make_rpps(f"1{index:09d}"),
        "family": rng.choice(FAMILY),
        "given": rng.choice(GIVEN),
        "title": "DR" if code == "10" else "",
        "code": code,
        "label": label,
        "sf_code": sf_code,
        "sf_label": sf_label,
    }


# Anchors: the tests' known people (fictitious). RPPS bodies 20000000xx avoid the random range.
DUPRE = {"rpps": make_rpps("2000000001"), "family": "Dupré", "given": "Jean", "title": "DR",
         "code": "10", "label": "Médecin", "sf_code": "SM04",
         "sf_label": "Cardiologie"}  # fmt: skip
DUPREZ = {"rpps": make_rpps("2000000002"), "family": "Duprez", "given": "Jeanne", "code": "60",
          "label": "Infirmier"}  # fmt: skip
LEFEVRE = {"rpps": make_rpps("2000000003"), "family": "Lefèvre", "given": "Hélène",
           "title": "DR", "code": "10", "label": "Médecin", "sf_code": "SM26",
           "sf_label": "Médecine générale"}  # fmt: skip

# Sample layout: 6 anchor lines, 5 malformed lines, then random rows.
MSSANTE_RANDOM_ROWS = 280
MSSANTE_BAD_LINES = {8: "colonnes", 9: "RPPS", 10: "type de BAL", 11: "adresse", 12: "double"}
PS_RANDOM_ROWS = 240
PS_BAD_LINES = {6: "colonnes", 7: "RPPS", 8: "type d'identifiant", 9: "nom d'exercice"}


# Team (ORG) mailboxes of the benchmark file: found by their service or their address line.
SERVICES = [
    ("Secrétariat d'addictologie", ""), ("Consultations", "Pôle gériatrie, bâtiment B"),
    ("Urgences pédiatriques", ""), ("Secrétariat de cardiologie", "Hôpital de jour"),
    ("Équipe mobile de soins palliatifs", ""),
]  # fmt: skip
TEAM_EVERY = 50


def team_mailbox(index: int, sites: list[dict[str, str]]) -> str:
    """A deterministic ORG mailbox (no random draw: the random rows stay the same)."""
    service, place = SERVICES[(index // TEAM_EVERY) % len(SERVICES)]
    site = sites[index % len(sites)]
    return mssante_row("ORG", f"{slug(service)}.{index}@{site['domain']}", None, site, service,
                       place)  # fmt: skip


def mssante_lines(
    rows: int = MSSANTE_RANDOM_ROWS, *, samples: bool = True, teams: bool = False
) -> Iterator[str]:
    """Header, then (when ``samples``) anchors and malformed lines, then ``rows`` random rows.

    Every 7th random person has a second mailbox at the same structure (merged into one entry);
    with ``teams``, every 50th row is also a team mailbox (``team_mailbox``)."""
    rng = random.Random(SEED)
    sites = structures()
    yield "|".join(MSSANTE_COLUMNS)
    if samples:
        ch_mans, evreux, st_etienne = sites[0], sites[4], sites[12]
        yield mssante_row("PER", f"jean.dupre@{ch_mans['domain']}", DUPRE, ch_mans)
        yield mssante_row("PER", "jean.dupre@medecin-fictif.mssante.fr", DUPRE, ch_mans)
        yield mssante_row("PER", f"jeanne.duprez@{evreux['domain']}", DUPREZ, evreux)
        yield mssante_row("PER", f"helene.lefevre@{st_etienne['domain']}", LEFEVRE, st_etienne)
        yield mssante_row("ORG", f"secretariat.cardiologie@{ch_mans['domain']}", None, ch_mans,
                          "Secrétariat de cardiologie")  # fmt: skip
        yield mssante_row("APP", f"dpi@{ch_mans['domain']}", None, ch_mans, "DPI")
        # Malformed lines 8-12 (line 1 is the header).
        yield mssante_row("PER", "x@y.mssante.fr", DUPREZ, evreux).rsplit("|", 3)[0]
        yield mssante_row("PER", "bad.key@y.mssante.fr", DUPREZ | {"rpps": "20000000020"}, evreux)
        yield mssante_row("XXX", "kind@y.mssante.fr", DUPREZ, evreux)
        yield mssante_row("PER", "pas-une-adresse", DUPREZ, evreux)
        yield mssante_row("PER", f"jeanne.duprez@{evreux['domain']}", DUPREZ, evreux)
    for index in range(rows):
        person = random_person(rng, index)
        site = rng.choice(sites)
        local = f"{slug(person['given'])}.{slug(person['family'])}.{index}"
        yield mssante_row("PER", f"{local}@{site['domain']}", person, site)
        if index % 7 == 3:
            yield mssante_row("PER", f"{local}@pro-fictif.mssante.fr", person, site)
        if teams and index % TEAM_EVERY == 0:
            yield team_mailbox(index, sites)


def ps_row(person: dict[str, str], site: dict[str, str], columns: list[str],
           type_pp: str = "8") -> str:  # fmt: skip
    values = dict.fromkeys(columns, "")
    values |= {
        "Type d'identifiant PP": type_pp,
        "Identifiant PP": person["rpps"],
        "Identification nationale PP": type_pp + person["rpps"],
        "Code civilité d'exercice": person.get("title", ""),
        "Nom d'exercice": person["family"].upper(),
        "Prénom d'exercice": person["given"],
        "Code profession": person["code"],
        "Libellé profession": person["label"],
        "Code savoir-faire": person.get("sf_code", ""),
        "Libellé savoir-faire": person.get("sf_label", ""),
        "Numéro FINESS site": site["finess"],
        "Identifiant technique de la structure": "R" + site["finess"],
        "Raison sociale site": site["name"],
        "Code postal (coord. structure)": site["postcode"],
        "Libellé commune (coord. structure)": site["town"].upper(),
        "Libellé pays (coord. structure)": "France",
    }
    # Every PS_LibreAcces line ends with a "|" (Annuaire Santé specification).
    return "|".join(values[name] for name in columns) + "|"


def ps_lines(rows: int = PS_RANDOM_ROWS, *, wide: bool = False) -> Iterator[str]:
    """Header (52 columns, 56 when ``wide``), anchors, malformed lines 6-9, random rows.

    Every 5th random person has a second activity at another structure (a second entry) and
    every 11th a second savoir-faire line at the same structure (merged)."""
    rng = random.Random(SEED + 1)
    sites = structures()
    columns = PS_COLUMNS + (PS_EXTRA_COLUMNS if wide else [])
    yield "|".join(columns) + "|"
    yield ps_row(DUPRE, sites[0], columns)
    yield ps_row(LEFEVRE, sites[12], columns)
    adeli = {"rpps": "725012345", "family": "Kiné", "given": "Maël", "code": "70",
             "label": "Masseur-kinésithérapeute"}  # fmt: skip
    yield ps_row(adeli, sites[1], columns, type_pp="0")
    yield ps_row(DUPREZ, sites[4], columns)
    # Malformed lines 6-9.
    yield ps_row(DUPREZ, sites[4], columns)[:-1].rsplit("|", 2)[0] + "|"
    yield ps_row(DUPREZ | {"rpps": "20000000021"}, sites[4], columns)
    yield ps_row(DUPREZ, sites[4], columns, type_pp="3")
    yield ps_row(DUPREZ | {"family": ""}, sites[4], columns)
    for index in range(rows):
        person = random_person(rng, 500_000 + index)
        site = rng.choice(sites[:-4])
        yield ps_row(person, site, columns)
        if index % 5 == 0:
            yield ps_row(person, rng.choice(sites[-4:]), columns)
        if index % 11 == 0:
            yield ps_row(person | {"sf_label": "Autre orientation"}, site, columns)


def write(path: Path, lines: Iterator[str]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for line in lines:
            handle.write(line + "\n")
            count += 1
    return count


def main() -> None:
    print(MSSANTE_SAMPLE.name, write(MSSANTE_SAMPLE, mssante_lines()), "lines")
    print(PS_SAMPLE.name, write(PS_SAMPLE, ps_lines()), "lines")


if __name__ == "__main__":
    main()
