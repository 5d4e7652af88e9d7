"""Message search: accent- and case-insensitive word prefixes, highlighted snippets as data, the
access rules of conversations, an audit event per patient conversation shown.

Runs on the configured database: PostgreSQL (French text search + unaccent) with DATABASE_URL,
SQLite (FTS5) without it — the same expectations for both.
"""

from __future__ import annotations

import pytest

from backend.accounts.models import Mailbox
from backend.audit.models import AuditEvent
from backend.demo import ORG_MAILBOX
from backend.patients.models import Patient
from conversations import actions
from conversations.groups import actions as groups
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/messages/search"


def _send(user, conversation, body, client_id):
    return actions.send_message(user, conversation.pk, client_id=client_id, body=body).message


@pytest.fixture
def about_patient(personas):
    patient = Patient.objects.get(birth_name="MOREL")
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title="Avis cardio", patient=patient
    )
    return conversation


@pytest.fixture
def other(personas):
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.dermatologist], title="Dermato"
    )
    return conversation


def _marked(hit):
    return [part["text"] for part in hit["snippet"] if part["mark"]]


def _search(client, q, **params):
    response = client.get(URL, {"q": q, **params})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("q", ["echographie", "ÉCHOGRAPHIE", "Echographie", "écho", "echo"])
def test_accents_and_case_do_not_matter_and_the_match_is_marked(
    personas, as_user, about_patient, q
):
    message = _send(
        personas.cardiologist, about_patient, "Échographie cardiaque prévue jeudi.", "m1"
    )
    _send(personas.cardiologist, about_patient, "Rien à signaler.", "m2")
    results = _search(as_user(personas.gp), q)["results"]
    assert [hit["message"] for hit in results] == [str(message.pk)]
    hit = results[0]
    assert hit["conversation"] == str(about_patient.pk)
    assert hit["conversation_title"] == "Avis cardio"
    assert hit["seq"] == message.seq
    assert hit["sender"]["id"] == str(personas.cardiologist.pk)
    assert _marked(hit) == ["Échographie"]
    assert "".join(part["text"] for part in hit["snippet"]) == "Échographie cardiaque prévue jeudi."


def test_every_word_must_match(personas, as_user, about_patient):
    both = _send(personas.gp, about_patient, "Douleur thoracique et dyspnée", "a")
    _send(personas.gp, about_patient, "Douleur au genou", "b")
    results = _search(as_user(personas.gp), "douleur dyspnee")["results"]
    assert [hit["message"] for hit in results] == [str(both.pk)]
    assert sorted(_marked(results[0])) == ["Douleur", "dyspnée"]


def test_across_conversations_newest_first_or_inside_one(personas, as_user, about_patient, other):
    first = _send(personas.gp, about_patient, "Bilan sanguin demandé", "a")
    second = _send(personas.gp, other, "Bilan dermatologique", "b")
    gp = as_user(personas.gp)
    assert [h["message"] for h in _search(gp, "bilan")["results"]] == [
        str(second.pk),
        str(first.pk),
    ]
    inside = _search(gp, "bilan", conversation=str(about_patient.pk))["results"]
    assert [h["message"] for h in inside] == [str(first.pk)]


def test_edited_messages_match_their_new_text_and_deleted_ones_never(
    personas, as_user, about_patient
):
    edited = _send(personas.gp, about_patient, "Radiographie du thorax", "a")
    deleted = _send(personas.gp, about_patient, "Radiographie du poignet", "b")
    actions.edit_message(personas.gp, edited.pk, "Scanner du thorax")
    actions.delete_message(personas.gp, deleted.pk)
    gp = as_user(personas.gp)
    assert _search(gp, "radiographie")["results"] == []
    assert [h["message"] for h in _search(gp, "scanner")["results"]] == [str(edited.pk)]
    assert _search(gp, "scanner")["results"][0]["edited"] is True
    assert _search(gp, "poignet")["results"] == []


def test_system_messages_are_not_results(personas, as_user, other):
    actions.post_system_message(other.pk, "Dr Martin a renommé la conversation en Tendinite.")
    assert _search(as_user(personas.gp), "tendinite")["results"] == []


def test_a_participant_who_left_finds_nothing_any_more(personas, as_user):
    group, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist, personas.nurse], title="Staff"
    )
    _send(personas.gp, group, "Pansement de l'ulcère à refaire", "a")
    nurse = as_user(personas.nurse)
    assert len(_search(nurse, "ulcere")["results"]) == 1
    groups.remove_participant(personas.gp, group.pk, user=personas.nurse)
    assert _search(nurse, "ulcere")["results"] == []
    assert_error(nurse.get(URL, {"q": "ulcere", "conversation": str(group.pk)}), 404)


def test_team_mailbox_members_with_a_clinical_role_find_the_teams_messages(personas, as_user):
    team = Mailbox.objects.get(address=ORG_MAILBOX[0])
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], mailboxes=[team], title="Avis ECG"
    )
    message = _send(personas.gp, conversation, "Holter ECG joint", "a")
    results = _search(as_user(personas.secretary), "holter")["results"]
    assert [h["message"] for h in results] == [str(message.pk)]


@pytest.mark.parametrize("persona", ["billing", "billing_mailbox_member"])
def test_billing_staff_never_search_message_text(personas, as_user, persona):
    team = Mailbox.objects.get(address=ORG_MAILBOX[0])
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], mailboxes=[team], title="Avis ECG"
    )
    _send(personas.gp, conversation, "Holter ECG joint", "a")
    before = AuditEvent.objects.count()
    response = as_user(getattr(personas, persona)).get(URL, {"q": "holter"})
    assert "Holter" not in response.content.decode()
    assert_error(response, 403, "forbidden")
    assert AuditEvent.objects.count() == before


def test_an_unrelated_clinician_finds_nothing_and_cannot_name_the_conversation(
    personas, as_user, about_patient
):
    _send(personas.gp, about_patient, "Échographie cardiaque", "a")
    nurse = as_user(personas.nurse)
    assert _search(nurse, "echographie")["results"] == []
    assert_error(nurse.get(URL, {"q": "echo", "conversation": str(about_patient.pk)}), 404)
    assert_error(as_user(None).get(URL, {"q": "echo"}), 401)


def test_a_search_is_audited_per_patient_conversation_shown_without_the_words(
    personas, as_user, about_patient, other
):
    _send(personas.gp, about_patient, "Échographie cardiaque", "a")
    _send(personas.gp, about_patient, "Échographie de contrôle", "b")
    _send(personas.gp, other, "Échographie cutanée", "c")
    _search(as_user(personas.cardiologist), "echographie")
    events = list(AuditEvent.objects.filter(verb="conversation.search_read"))
    assert len(events) == 1
    event = events[0]
    assert event.actor_id == personas.cardiologist.pk
    assert event.patient_id == about_patient.patient_id
    assert event.data["messages"] == 2
    assert "chograph" not in str(event.data)


def test_pages_and_a_fixed_number_of_queries(
    personas, as_user, about_patient, other, django_assert_max_num_queries
):
    for index in range(5):
        _send(personas.gp, about_patient, f"Suivi tensionnel numéro {index}", f"a{index}")
        _send(personas.gp, other, f"Suivi cutané numéro {index}", f"b{index}")
    gp = as_user(personas.gp)
    with django_assert_max_num_queries(20):
        page = _search(gp, "suivi", limit=4)
    assert len(page["results"]) == 4 and page["next_offset"] == 4
    seen = [h["message"] for h in page["results"]]
    while page["next_offset"] is not None:
        page = _search(gp, "suivi", limit=4, offset=page["next_offset"])
        seen += [h["message"] for h in page["results"]]
    assert len(seen) == len(set(seen)) == 10


def test_snippets_are_text_not_html(personas, as_user, other):
    _send(personas.gp, other, "<img src=x onerror=alert(1)> éruption <b>cutanée</b>", "a")
    hit = _search(as_user(personas.gp), "eruption")["results"][0]
    text = "".join(part["text"] for part in hit["snippet"])
    assert "<img src=x onerror=alert(1)>" in text
    assert _marked(hit) == ["éruption"]


def test_a_long_message_is_cut_around_the_match(personas, as_user, other):
    words = " ".join(f"mot{index}" for index in range(200))
    _send(personas.gp, other, f"{words} anaphylaxie {words}", "a")
    hit = _search(as_user(personas.gp), "anaphylaxie")["results"][0]
    text = "".join(part["text"] for part in hit["snippet"])
    assert "anaphylaxie" in text and len(text) < 400
    assert _marked(hit) == ["anaphylaxie"]


@pytest.mark.parametrize("q", ["", "a", "x" * 201])
def test_bad_queries_get_the_error_shape(personas, as_user, q):
    error = assert_error(as_user(personas.gp).get(URL, {"q": q}), 400)
    assert "q" in error["fields"]


def test_a_malformed_conversation_id_gets_the_error_shape(personas, as_user):
    error = assert_error(
        as_user(personas.gp).get(URL, {"q": "echo", "conversation": "not-a-uuid"}), 400
    )
    assert "conversation" in error["fields"]
