"""Pure parts of the directory: folding for search, header detection, row checks."""

from __future__ import annotations

import pytest

from backend.directory import formats
from backend.directory.text import fold, word_column
from tests.data import make_annuaire_samples as samples


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Dupré", "dupre"),
        ("  Saint-Étienne  CEDEX 2", "saint etienne cedex 2"),
        ("LŒUILLET", "loeuillet"),
        ("N'Diaye", "n diaye"),
        ("Gaëlle", "gaelle"),
    ],
)
def test_fold_removes_accents_case_and_punctuation(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_word_column_lets_every_word_be_a_prefix_target() -> None:
    column = word_column("Jean", "Dupré", "CH du Mans")
    assert " dup" in column and " man" in column and " ean" not in column


def test_headers_are_recognised_whatever_the_column_count() -> None:
    mss = formats.detect("\ufeff" + next(samples.mssante_lines()))
    assert (mss.source, mss.width, mss.trailing_separator) == ("mssante", 31, False)
    assert formats.detect(next(samples.ps_lines())).width == 52
    assert formats.detect(next(samples.ps_lines(wide=True))).width == 56


def test_an_incomplete_correspondence_header_is_refused() -> None:
    with pytest.raises(formats.FormatError, match="colonnes absentes"):
        formats.detect("Type de BAL|Adresse BAL|Nom d'exercice")


def test_org_mailbox_row_is_an_entry_of_its_structure() -> None:
    layout = formats.detect(next(samples.mssante_lines()))
    site = samples.structures()[0]
    line = samples.mssante_row("ORG", "Accueil@X.mssante.fr", None, site, "Accueil")
    row = formats.parse_row(formats.split_line(line, layout), layout)
    assert row.address == ("accueil@x.mssante.fr", "ORG")
    assert row.entry["kind"] == "mailbox" and row.entry["name"].startswith("Accueil — ")
    assert (row.entry["city"], row.entry["postcode"]) == ("LE MANS", "72000")
