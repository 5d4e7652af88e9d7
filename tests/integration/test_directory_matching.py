"""What a search matches beyond names (issue 21): a team mailbox by its service or its address, a
profession in the feminine, a specialty by its first letters; ranked pages read in order with a
bounded count; a fixed number of queries per page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from backend.directory import importer, search
from backend.directory.models import DirectoryEntry
from tests.conftest import Personas, client_for
from tests.data import make_annuaire_samples as samples

pytestmark = pytest.mark.django_db
URL = "/api/directory"


@pytest.fixture
def imported(personas: Personas, tmp_path: Path) -> Personas:
    """The committed sample extraction plus three team mailboxes (the file is a full extraction:
    what it lacks is deactivated)."""
    sites = samples.structures()
    teams = [
        samples.mssante_row(
            "ORG", f"secretariat.addicto@{sites[1]['domain']}", None, sites[1],
            "Secrétariat d'addictologie",
        ),
        samples.mssante_row(
            "ORG", f"consultations@{sites[2]['domain']}", None, sites[2], "Consultations",
            "Pôle gériatrie, bâtiment B",
        ),
        samples.mssante_row("ORG", f"soins.palliatifs@{sites[3]['domain']}", None, sites[3]),
    ]  # fmt: skip
    extraction = tmp_path / "Extraction_Correspondance_MSSante.txt"
    lines = samples.MSSANTE_SAMPLE.read_text(encoding="utf-8").splitlines()
    samples.write(extraction, iter(lines + teams))
    importer.import_file(extraction)
    return personas


def find(user: Any, **params: Any) -> dict[str, Any]:
    response = client_for(user).get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def addresses(body: dict[str, Any]) -> set[str]:
    return {a["address"] for entry in body["results"] for a in entry["mssante"]}


def test_a_team_mailbox_is_found_by_its_service(imported: Personas) -> None:
    body = find(imported.gp, q="addictologie")
    assert [e["kind"] for e in body["results"]] == ["mailbox"]
    assert addresses(body) == {f"secretariat.addicto@{samples.structures()[1]['domain']}"}


def test_a_team_mailbox_is_found_by_its_address_line_or_its_address(imported: Personas) -> None:
    domain = samples.structures()[2]["domain"]
    assert addresses(find(imported.gp, q="gériatrie", mssante_only=1)) == {
        f"consultations@{domain}"
    }
    # No service at all: the words of the address still find it.
    palliative = find(imported.gp, q="palliatifs")
    assert addresses(palliative) == {f"soins.palliatifs@{samples.structures()[3]['domain']}"}


def test_the_feminine_finds_the_profession(imported: Personas) -> None:
    for query in ("infirmière", "Infirmiere", "infirmier"):
        body = find(imported.gp, q=query, limit=50)
        assert body["results"], query
        assert {e["profession"] for e in body["results"]} == {"Infirmier"}, query
        assert "Jeanne Duprez" in [e["name"] for e in find(imported.gp, q=f"{query} duprez")[
            "results"
        ]]  # fmt: skip
    sage_femme = find(imported.gp, profession="maïeuticienne", limit=5)["results"]
    assert sage_femme and {e["profession"] for e in sage_femme} == {"Sage-femme"}


def test_a_specialty_prefix_or_the_practitioner_finds_the_specialists(imported: Personas) -> None:
    for query in ("cardio", "cardiologue", "Cardiologie"):
        body = find(imported.gp, q=query, limit=50)
        specialties = {e["specialty"] for e in body["results"] if e["kind"] == "person"}
        assert specialties == {"Cardiologie"}, (query, specialties)
    assert "Dr Jean Dupré" in [e["name"] for e in find(imported.gp, q="cardio dupre")["results"]]


def test_names_still_rank_before_other_matches(imported: Personas) -> None:
    # « Martin » is a name and (via « Saint-Martin » nowhere here) nothing else: exact first.
    first = find(imported.gp, q="dupré")["results"][0]
    assert first["name"] in {"Dr Jean Dupré", "Dr Jean DUPRÉ"}
    # A word of a structure's name never outranks a person whose name starts with it.
    body = find(imported.gp, q="dup", limit=50)
    ranked = [e["name"] for e in body["results"]]
    assert ranked.index("Dr Jean Dupré") < len(ranked) and ranked[0].split()[-1].startswith("Dup")


def test_counts_stop_at_the_limit_and_say_so(imported: Personas, monkeypatch: Any) -> None:
    monkeypatch.setattr(search, "COUNT_LIMIT", 10)
    body = find(imported.gp, profession="10", limit=5)
    assert body["count"] == 10 and body["count_exact"] is False and body["next_offset"] == 5
    exact = find(imported.gp, q="duprez")
    assert exact["count_exact"] is True and exact["next_offset"] is None


def test_pages_are_disjoint_across_ranking_tiers(imported: Personas) -> None:
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        body = find(imported.gp, q="dup", limit=3, offset=offset)
        seen += [e["id"] for e in body["results"]]
        offset = body["next_offset"]
    assert len(seen) == len(set(seen)) == find(imported.gp, q="dup")["count"]


def test_a_page_costs_a_fixed_number_of_queries(
    imported: Personas, django_assert_max_num_queries: Any
) -> None:
    client = client_for(imported.gp)
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"q": "centre hospitalier", "limit": "50"})
    assert len(response.json()["results"]) == 50


def test_platform_entries_are_listed_first_on_ties(imported: Personas) -> None:
    assert set(
        DirectoryEntry.objects.filter(source="platform").values_list("listing", flat=True)
    ) == {0}
    assert set(
        DirectoryEntry.objects.exclude(source="platform").values_list("listing", flat=True)
    ) == {1}


@pytest.mark.postgres
def test_postgres_reads_a_frequent_word_in_index_order(imported: Personas) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'directory_directoryentry'"
        )
        indexes = {row[0] for row in cursor.fetchall()}
    assert {
        "directory_entry_ranked",
        "directory_entry_family_prefix",
        "directory_entry_name_prefix",
        "directory_entry_rev_prefix",
    } <= indexes


@pytest.mark.parametrize("q", ["dup", "dupont", "centre hospitalier"])
def test_pages_follow_the_tiers_then_platform_first_then_names(imported: Personas, q: str) -> None:
    """On PostgreSQL the family-name block of a name tier is read along the ranked index and
    merged with the tier's other rows: the pages are still the tiers in turn, each in order."""
    entries = search._filtered(search.Criteria(q=q))
    base = search._filtered(search.Criteria(q=q), with_words=False)
    tiers = [sorted(entries.filter(tier), key=search._sort_key) for tier in search._tiers(q)]
    expected = [entry.id for tier in tiers for entry in tier]
    assert len(expected) >= 2
    assert [e.id for e in search._page(entries, q, 0, len(expected), base)] == expected
    assert [e.id for e in search._page(entries, q, 1, 2, base)] == expected[1:3]
