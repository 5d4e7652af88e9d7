"""Finding a recipient: accents, prefixes, filters, ranking, platform users, liste rouge."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from backend.accounts.identifiers import make_rpps
from backend.accounts.models import Mailbox
from backend.audit.models import AuditEvent
from backend.directory import importer, wordindex
from backend.directory.models import DirectoryEntry
from backend.directory.wordindex import AllWordsStart
from tests.conftest import Personas, assert_error, client_for
from tests.data import make_annuaire_samples as samples

pytestmark = pytest.mark.django_db

URL = "/api/directory"
BERNARD_RPPS = make_rpps("1000100002")  # dr.bernard in backend/demo.py


@pytest.fixture
def imported(personas: Personas) -> Personas:
    importer.import_file(samples.MSSANTE_SAMPLE)
    importer.import_file(samples.PS_SAMPLE)
    return personas


def find(user: Any, **params: Any) -> dict[str, Any]:
    response = client_for(user).get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def names(body: dict[str, Any]) -> list[str]:
    return [entry["name"] for entry in body["results"]]


def test_anonymous_visitor_gets_401(api: Any) -> None:
    assert_error(api.get(URL, {"q": "dup"}), 401, "not_authenticated")


def test_every_signed_in_persona_may_search_billing_included(imported: Personas) -> None:
    for user in imported.all().values():
        assert find(user, q="dupre")["count"] >= 1


def test_search_ignores_accents_and_case(imported: Personas) -> None:
    for query in ("lefevre", "LEFÈVRE", "hélène lefèvre", "Helene"):
        assert "Dr Hélène Lefèvre" in names(find(imported.gp, q=query)), query


def test_a_name_prefix_finds_the_name(imported: Personas) -> None:
    found = names(find(imported.gp, q="dup", limit=50))
    assert "Dr Jean Dupré" in found and "Jeanne Duprez" in found


def test_exact_name_ranks_before_longer_names(imported: Personas) -> None:
    assert names(find(imported.gp, q="dupré"))[0] in {"Dr Jean Dupré", "Dr Jean DUPRÉ"}
    assert names(find(imported.gp, q="duprez"))[0] == "Jeanne Duprez"
    first = find(imported.gp, q="jean dupre")["results"][0]
    assert first["name"] in {"Dr Jean Dupré", "Dr Jean DUPRÉ"}


def test_organisation_names_are_searched(imported: Personas) -> None:
    body = find(imported.gp, q="hospitalier evreux", limit=50)
    assert body["count"] >= 1
    assert all("Évreux" in entry["organization"] for entry in body["results"])


def test_entry_lists_its_mssante_addresses_and_identity(imported: Personas) -> None:
    body = find(imported.gp, q="dupre", mssante_only=1)
    dupre = next(e for e in body["results"] if e["name"] == "Dr Jean Dupré")
    assert dupre["rpps"] == samples.DUPRE["rpps"]
    assert (dupre["profession"], dupre["specialty"]) == ("Médecin", "Cardiologie")
    assert (dupre["city"], dupre["postcode"]) == ("LE MANS", "72000")
    assert dupre["organization"] == "Centre hospitalier fictif — Le Mans"
    assert dupre["mssante"] == [
        {"address": "jean.dupre@centre-hospitalier-fictif-le-mans.mssante.fr", "kind": "PER"},
        {"address": "jean.dupre@medecin-fictif.mssante.fr", "kind": "PER"},
    ]
    assert dupre["user"] is None


def test_filters_by_profession_town_postcode_and_mssante(imported: Personas) -> None:
    nurses = find(imported.gp, profession="60", limit=50)
    assert nurses["count"] > 0 and all(e["profession"] == "Infirmier" for e in nurses["results"])
    cardio = find(imported.gp, profession="cardio", limit=50)["results"]
    assert cardio and all(e["specialty"] == "Cardiologie" for e in cardio)
    town = find(imported.gp, city="saint-etienne", limit=50)["results"]
    assert town and all(e["postcode"] == "42000" for e in town)
    assert "Dr Hélène Lefèvre" in [e["name"] for e in town]
    coded = find(imported.gp, postcode="27000", limit=50)["results"]
    assert coded and all(e["city"].lower().startswith("évreux") for e in coded)
    with_mail = find(imported.gp, q="lefevre", mssante_only=1)["results"]
    assert with_mail and all(e["mssante"] for e in with_mail)
    assert len(find(imported.gp, q="lefevre")["results"]) > len(with_mail)  # PS entry too


def test_results_are_paginated(imported: Personas) -> None:
    first = find(imported.gp, profession="10", limit=5)
    assert len(first["results"]) == 5 and first["count"] > 5 and first["next_offset"] == 5
    second = find(imported.gp, profession="10", limit=5, offset=5)
    assert not {e["id"] for e in first["results"]} & {e["id"] for e in second["results"]}
    last = find(imported.gp, profession="10", limit=50, offset=first["count"] - 1)
    assert len(last["results"]) == 1 and last["next_offset"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"postcode": "720"}, "postcode"),
        ({"mssante_only": "peut-être"}, "mssante_only"),
    ],
)
def test_bad_parameters_get_400_with_fields(
    personas: Personas, params: dict[str, str], field: str
) -> None:
    error = assert_error(client_for(personas.gp).get(URL, params), 400)
    assert field in error["fields"]


def test_platform_professionals_appear_with_their_user(personas: Personas) -> None:
    body = find(personas.gp, q="bernard")
    paul = body["results"][0]
    assert paul["name"] == "Dr Paul Bernard" and paul["source"] == "platform"
    assert paul["user"] == str(personas.cardiologist.id)
    assert paul["mssante"] == [{"address": "paul.bernard@demo.mssante.fr", "kind": "PER"}]
    assert (paul["organization"], paul["city"]) == ("CH du Mans", "Le Mans")


def test_billing_staff_and_application_mailboxes_are_not_published(personas: Personas) -> None:
    assert find(personas.gp, q="luc moreau")["count"] == 0
    assert find(personas.gp, q="dossier patient informatise")["count"] == 0


def test_team_mailboxes_of_the_platform_appear(personas: Personas) -> None:
    team = find(personas.nurse, q="secretariat cardio")["results"][0]
    assert team["name"] == "Secrétariat de cardiologie — CH du Mans"
    assert team["mssante"] == [
        {"address": "secretariat.cardiologie@demo.mssante.fr", "kind": "ORG"}
    ]
    assert team["user"] is None and team["kind"] == "mailbox"


def test_imported_entry_of_a_platform_user_says_so(personas: Personas, tmp_path: Path) -> None:
    site = samples.structures()[0]
    bernard = {"rpps": BERNARD_RPPS, "family": "Bernard", "given": "Paul", "title": "DR",
               "code": "10", "label": "Médecin"}  # fmt: skip
    lines = [
        "|".join(samples.MSSANTE_COLUMNS),
        samples.mssante_row("PER", "paul.bernard@ailleurs.mssante.fr", bernard, site),
    ]
    samples.write(tmp_path / "b.txt", iter(lines))
    importer.import_file(tmp_path / "b.txt")
    results = find(personas.gp, q="paul bernard")["results"]
    assert [e["source"] for e in results] == ["platform", "mssante"]  # platform first on ties
    assert {e["user"] for e in results} == {str(personas.cardiologist.id)}


def test_owner_puts_his_mailbox_on_the_liste_rouge(personas: Personas) -> None:
    url = f"{URL}/mailboxes/paul.bernard@demo.mssante.fr/visibility"
    response = client_for(personas.cardiologist).post(url, {"hidden": True}, format="json")
    assert response.status_code == 200 and response.json()["hidden"] is True
    assert find(personas.gp, q="bernard")["count"] == 0
    event = AuditEvent.objects.get(verb="directory.mailbox_visibility_changed")
    assert event.actor == personas.cardiologist and event.data == {"hidden": True, "kind": "PER"}

    client_for(personas.cardiologist).post(url, {"hidden": False}, format="json")
    assert find(personas.gp, q="bernard")["count"] == 1


def test_hidden_address_is_also_hidden_in_imported_entries(
    personas: Personas, tmp_path: Path
) -> None:
    site = samples.structures()[0]
    person = {"rpps": BERNARD_RPPS, "family": "Bernard", "given": "Paul", "code": "10",
              "label": "Médecin"}  # fmt: skip
    path = tmp_path / "b.txt"
    samples.write(
        path,
        iter(
            [
                "|".join(samples.MSSANTE_COLUMNS),
                samples.mssante_row("PER", "paul.bernard@demo.mssante.fr", person, site),
            ]
        ),
    )
    importer.import_file(path)
    client_for(personas.cardiologist).post(
        f"{URL}/mailboxes/paul.bernard@demo.mssante.fr/visibility", {"hidden": True}, format="json"
    )
    results = find(personas.gp, q="paul bernard")["results"]
    assert [e["mssante"] for e in results] == [[]]


def test_team_mailbox_visibility_belongs_to_its_responsible_and_admins(
    personas: Personas,
) -> None:
    url = f"{URL}/mailboxes/secretariat.cardiologie@demo.mssante.fr/visibility"
    for outsider in (personas.secretary, personas.gp, personas.billing):
        response = client_for(outsider).post(url, {"hidden": True}, format="json")
        assert_error(response, 404, "not_found")
    assert not Mailbox.objects.get(address="secretariat.cardiologie@demo.mssante.fr").hidden
    assert not AuditEvent.objects.filter(verb="directory.mailbox_visibility_changed").exists()

    for manager in (personas.cardiologist, personas.admin):
        response = client_for(manager).post(url, {"hidden": True}, format="json")
        assert response.status_code == 200, response.content
    assert find(personas.gp, q="secretariat cardio")["count"] == 0


def test_someone_elses_mailbox_is_not_found(personas: Personas) -> None:
    url = f"{URL}/mailboxes/paul.bernard@demo.mssante.fr/visibility"
    assert_error(client_for(personas.gp).post(url, {"hidden": True}, format="json"), 404)
    assert_error(client_for(None).post(url, {"hidden": True}, format="json"), 401)
    assert not Mailbox.objects.get(address="paul.bernard@demo.mssante.fr").hidden


def test_visibility_needs_a_boolean(personas: Personas) -> None:
    url = f"{URL}/mailboxes/paul.bernard@demo.mssante.fr/visibility"
    error = assert_error(client_for(personas.cardiologist).post(url, {}, format="json"), 400)
    assert "hidden" in error["fields"]


def test_user_lists_the_mailboxes_he_manages(personas: Personas) -> None:
    body = client_for(personas.cardiologist).get(f"{URL}/mailboxes").json()
    assert [m["address"] for m in body["results"]] == [
        "secretariat.cardiologie@demo.mssante.fr",
        "paul.bernard@demo.mssante.fr",
    ]


@pytest.mark.postgres
def test_postgres_searches_by_word_indexes(imported: Personas) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'directory_directoryentry'"
        )
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"directory_entry_search_words", "directory_entry_profession_words"} <= indexes
    query = str(DirectoryEntry.objects.filter(AllWordsStart("search_norm", ["dup"])).query)
    assert "@@" in query  # the indexed expression, not a LIKE
    assert find(imported.gp, q="dup")["count"] >= 2


def test_every_word_must_start_a_word_of_the_entry(imported: Personas) -> None:
    """A word inside another word does not match: « upont » is not « dupont »."""
    entries = DirectoryEntry.objects.filter(active=True)
    dup = set(entries.filter(AllWordsStart("search_norm", ["dup"])).values_list("id", flat=True))
    assert dup
    assert not entries.filter(AllWordsStart("search_norm", ["upont"])).exists()
    both = entries.filter(AllWordsStart("search_norm", ["dup", "zzzqqq"]))
    assert not both.exists()


def test_a_count_by_the_rarest_word_matches_the_same_entries(
    imported: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``by_rarest`` reads one word by the index and checks the others on its rows: the same
    entries, whichever word is the rarest (frequencies as the statistics would give them)."""
    entries = DirectoryEntry.objects.filter(active=True)
    queries = [["centre", "hospitalier"], ["jean", "dup"], ["dup", "zzzqqq"], ["hel", "lef"]]
    for frequent in ({}, {"centre": 0.4, "hospitalier": 0.4, "jean": 0.3, "hel": 0.2}):
        monkeypatch.setattr(
            wordindex.FREQUENCIES, "get_many", lambda columns, f=frequent: {c: f for c in columns}
        )
        for column in ("search_norm", "name_norm"):
            for query in queries:
                every = entries.filter(AllWordsStart(column, query))
                rarest = entries.filter(AllWordsStart(column, query, by_rarest=True))
                ids = set(every.values_list("id", flat=True))
                assert set(rarest.values_list("id", flat=True)) == ids, (column, query)
    assert entries.filter(AllWordsStart("search_norm", ["centre", "hospitalier"])).exists()


def test_the_rarest_word_alone_when_the_others_are_much_more_frequent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shares = {"centre": 0.26, "hospitalier": 0.26, "evreux": 0.09, "jean": 0.05, "moreau": 0.03}
    monkeypatch.setattr(wordindex.FREQUENCIES, "get_many", lambda columns: {"x": shares})
    assert wordindex.indexed_words("x", ["centre", "hospitalier", "evreux"]) == ["evreux"]
    # A prefix counts every frequent word it starts: « c » as « centre », not rare.
    assert wordindex.indexed_words("x", ["moreau", "c"]) == ["moreau"]
    # Lists of about the same length: GIN intersects them.
    assert wordindex.indexed_words("x", ["jean", "moreau"]) == ["jean", "moreau"]
    # A word none of the frequent ones starts is the rarest; the longer one on a tie.
    assert wordindex.indexed_words("x", ["jean", "zoe", "goff"]) == ["goff"]
    monkeypatch.setattr(wordindex.FREQUENCIES, "get_many", lambda columns: {})
    assert wordindex.indexed_words("x", ["centre", "evreux"]) == ["centre", "evreux"]
