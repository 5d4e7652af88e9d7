"""Names of a health-document mail: the PDF file name and the ``XDM/1.0/DDM`` subject (and that
subject as people read it)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date as Date

__all__ = ["DDM_PREFIX", "ddm_subject", "display_subject", "pdf_file_name"]

DDM_PREFIX = "XDM/1.0/DDM+"

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def _ascii_fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_only).strip("-")


def pdf_file_name(date: Date, doc_type: str, birth_name: str, first_name: str, dossier: str) -> str:
    """``<AAAAMMJJ>_<type>_<NOM>_<prenom>_<dossier>.pdf``, ASCII letters, digits and hyphens.

    The date format (AAAAMMJJ) and keeping the first name's case are unverified choices.
    """
    parts = [
        date.strftime("%Y%m%d"),
        _ascii_fold(doc_type),
        _ascii_fold(birth_name).upper(),
        _ascii_fold(first_name),
        _ascii_fold(dossier),
    ]
    if not all(parts):
        raise ValueError("type, nom, prénom et dossier sont obligatoires dans le nom du PDF")
    return "_".join(parts)[:200] + ".pdf"


# The DDM label is at most 40 characters (MSSanté DDM subject rule).
DDM_LABEL_MAX = 40


def _upper_without_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def ddm_subject(label: str, birth_name: str, first_name: str, birth_date: Date) -> str:
    """Health-document mail subject: ``XDM/1.0/DDM+<label> <NOM> <prénom> <JJ/MM/AAAA>``.

    The birth name is upper case without accents (« LEFÈVRE » -> « LEFEVRE »), the label cut to
    40 characters. Whitespace (line breaks included) is collapsed, so no value can inject a
    header.
    """
    label = " ".join(label.split())[:DDM_LABEL_MAX].rstrip()
    first_name = " ".join(first_name.split())
    name = _upper_without_accents(" ".join(birth_name.split()))
    return f"{DDM_PREFIX}{label} {name} {first_name} {birth_date:%d/%m/%Y}"


def display_subject(subject: str) -> str:
    """The ``XDM/1.0/DDM+`` prefix is for machines; the UI hides it."""
    return subject[len(DDM_PREFIX) :] if subject.startswith(DDM_PREFIX) else subject
