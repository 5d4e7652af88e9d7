"""Groups (issue 18 item 7): add people and team mailboxes, remove, rename, leave; the per-user
mute, pin and archive; each change a system message (group changes only) and an audit event;
the rules of conversations/groups/rules.py."""

from __future__ import annotations

import pytest

from backend.accounts.models import Mailbox
from backend.audit.models import AuditEvent
from conversations import actions, presence
from conversations.calls import actions as calls
from conversations.calls.models import CallParticipant
from conversations.groups import actions as groups
from conversations.groups.preferences import muted_user_ids, set_preferences
from conversations.models import Message, Participant
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def team() -> Mailbox:
    return Mailbox.objects.get(address__startswith="secretariat.cardiologie@")


def group_of(personas, title="RCP du jeudi"):
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title=title
    )
    return conversation


def url(conversation, tail=""):
    return f"/api/conversations/{conversation.pk}{tail}"


def system_texts(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, kind="system")
        .order_by("seq")
        .values_list("body", flat=True)
    )


def verbs(conversation) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(conversation.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def test_any_participant_adds_a_person_and_a_team_mailbox(personas, as_user):
    group = group_of(personas)
    answer = as_user(personas.cardiologist).post(
        url(group, "/participants"),
        {"participants": [str(personas.nurse.pk), team().address]},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    kinds = sorted(p["kind"] for p in answer.json()["participants"])
    assert kinds == ["mailbox", "user", "user", "user"]
    assert system_texts(group) == [
        "Dr Paul Bernard a ajouté Julie Durand et l'équipe Secrétariat de cardiologie — CH du Mans."
    ]
    assert verbs(group)[-2:] == ["conversation.participant_added"] * 2
    # The team's members see it now; adding the same people again changes nothing.
    assert as_user(personas.secretary).get(url(group)).status_code == 200
    again = as_user(personas.gp).post(
        url(group, "/participants"), {"user": str(personas.nurse.pk)}, format="json"
    )
    assert again.status_code == 200 and len(system_texts(group)) == 1


def test_a_one_to_one_gets_no_participant_create_a_group_instead(personas, as_user):
    direct, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    error = assert_error(
        as_user(personas.gp).post(
            url(direct, "/participants"), {"user": str(personas.nurse.pk)}, format="json"
        ),
        409,
        "direct_conversation",
    )
    assert "créez un groupe" in error["message"]
    assert direct.participants.count() == 2 and system_texts(direct) == []
    assert_error(
        as_user(personas.gp).patch(url(direct), {"title": "Nom"}, format="json"),
        409,
        "direct_conversation",
    )
    assert_error(
        as_user(personas.gp).delete(url(direct, f"/participants/{personas.gp.pk}")),
        409,
        "direct_conversation",
    )


def test_a_billing_clerk_cannot_be_added(personas, as_user):
    group = group_of(personas)
    assert_error(
        as_user(personas.gp).post(
            url(group, "/participants"), {"user": str(personas.billing.pk)}, format="json"
        ),
        400,
        "participant_not_allowed",
    )
    assert not Participant.objects.filter(conversation=group, user=personas.billing).exists()


def test_only_the_group_admin_removes_others_and_everybody_may_leave(personas, as_user):
    group = group_of(personas)
    groups.add_participants(personas.gp, group.pk, users=[personas.nurse], mailboxes=[team()])
    before = system_texts(group)
    error = assert_error(
        as_user(personas.cardiologist).delete(url(group, f"/participants/{personas.nurse.pk}")),
        403,
        "forbidden",
    )
    assert "administrateur" in error["message"]
    assert system_texts(group) == before
    assert as_user(personas.nurse).get(url(group)).status_code == 200
    # The creator is the group's admin: removes a person and the team mailbox.
    assert as_user(personas.gp).get(url(group)).json()["group_admin"] == str(personas.gp.pk)
    gp = as_user(personas.gp)
    assert gp.delete(url(group, f"/participants/{personas.nurse.pk}")).status_code == 204
    assert gp.delete(url(group, f"/participants/{team().address}")).status_code == 204
    assert_error(as_user(personas.nurse).get(url(group)), 404)
    assert_error(as_user(personas.secretary).get(url(group)), 404)
    assert system_texts(group)[-2:] == [
        "Dr Claire Martin a retiré Julie Durand.",
        "Dr Claire Martin a retiré l'équipe Secrétariat de cardiologie — CH du Mans.",
    ]
    assert verbs(group)[-2:] == ["conversation.participant_removed"] * 2
    # The creator leaves: the longest-standing person becomes the admin.
    assert gp.delete(url(group, f"/participants/{personas.gp.pk}")).status_code == 204
    assert system_texts(group)[-1] == "Dr Claire Martin a quitté la conversation."
    assert verbs(group)[-1] == "conversation.participant_left"
    shown = as_user(personas.cardiologist).get(url(group)).json()
    assert shown["group_admin"] == str(personas.cardiologist.pk)


def test_a_removed_participant_loses_the_history_and_gets_it_back_when_added_again(
    personas, as_user
):
    group = group_of(personas)
    groups.add_participant(personas.gp, group.pk, personas.nurse)
    actions.send_message(personas.gp, group.pk, client_id="groups-0001", body="Avant")
    groups.remove_participant(personas.gp, group.pk, user=personas.nurse)
    actions.send_message(personas.gp, group.pk, client_id="groups-0002", body="Après")
    nurse = as_user(personas.nurse)
    assert_error(nurse.get(url(group, "/messages")), 404)
    assert str(group.pk) not in [c["id"] for c in nurse.get("/api/conversations").json()["results"]]
    groups.add_participant(personas.gp, group.pk, personas.nurse)
    bodies = [m["body"] for m in nurse.get(url(group, "/messages")).json()["messages"]]
    assert "Avant" in bodies and "Après" in bodies


def test_someone_removed_during_a_call_leaves_it(personas, django_capture_on_commit_callbacks):
    group = group_of(personas)
    groups.add_participant(personas.gp, group.pk, personas.nurse)
    presence.connect(personas.nurse.pk, "chan-nurse")
    call = calls.invite(personas.gp, group.pk, "chan-gp")
    calls.accept(personas.nurse, call.pk, "chan-nurse")
    with django_capture_on_commit_callbacks(execute=True):
        groups.remove_participant(personas.gp, group.pk, user=personas.nurse)
    stretch = CallParticipant.objects.get(call=call, user=personas.nurse)
    assert stretch.left_at is not None
    call.refresh_from_db()
    assert call.state == "ended"  # fewer than two left in it


def test_a_team_member_cannot_leave_alone(personas, as_user):
    group = group_of(personas)
    groups.add_participants(personas.gp, group.pk, mailboxes=[team()])
    assert_error(
        as_user(personas.secretary).delete(url(group, f"/participants/{personas.secretary.pk}")),
        409,
        "team_participation",
    )


def test_rename_is_a_system_message_and_an_audit_event_without_the_name(personas, as_user):
    group = group_of(personas)
    answer = as_user(personas.cardiologist).patch(
        url(group), {"title": "  Suivi   Mme Lefebvre "}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["title"] == answer.json()["display_title"] == "Suivi Mme Lefebvre"
    assert system_texts(group) == ["Dr Paul Bernard a renommé le groupe « Suivi Mme Lefebvre »."]
    event = AuditEvent.objects.get(verb="conversation.renamed")
    assert "Lefebvre" not in str(event.data)
    assert as_user(personas.gp).patch(url(group), {"title": ""}, format="json").status_code == 200
    assert system_texts(group)[-1] == "Dr Claire Martin a retiré le nom du groupe."


def test_mute_pin_archive_are_per_user_audited_and_silent(personas, as_user):
    group = group_of(personas)
    other = group_of(personas, title="Autre")
    gp = as_user(personas.gp)
    answer = gp.patch(url(group, "/preferences"), {"muted": True, "pinned": True}, format="json")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["muted"], answer.json()["pinned"], answer.json()["archived"]) == (
        True,
        True,
        False,
    )
    # Nobody else's view changes; no system message.
    theirs = as_user(personas.cardiologist).get(url(group)).json()
    assert (theirs["muted"], theirs["pinned"]) == (False, False)
    assert system_texts(group) == []
    event = AuditEvent.objects.get(verb="conversation.preferences_changed")
    assert event.data["changes"] == {"muted": True, "pinned": True}
    assert muted_user_ids(group.pk, [personas.gp.pk, personas.cardiologist.pk]) == {
        str(personas.gp.pk)
    }
    # Pinned first, whatever the activity.
    actions.send_message(personas.gp, other.pk, client_id="groups-0003", body="Récent")
    listed = [c["id"] for c in gp.get("/api/conversations").json()["results"]]
    assert listed.index(str(group.pk)) < listed.index(str(other.pk))
    # Archived: out of the main list, in « Archivées ».
    set_preferences(personas.gp, other.pk, archived=True)
    main = [c["id"] for c in gp.get("/api/conversations?archived=0").json()["results"]]
    archived = [c["id"] for c in gp.get("/api/conversations?archived=1").json()["results"]]
    assert str(other.pk) not in main and archived == [str(other.pk)]
    assert_error(gp.get("/api/conversations?archived=2"), 400)
    assert_error(gp.patch(url(group, "/preferences"), {}, format="json"), 400)


def test_a_new_message_brings_an_archived_conversation_back_unless_muted(personas, as_user):
    group = group_of(personas)
    other = group_of(personas, title="Bruyant")
    set_preferences(personas.gp, group.pk, archived=True)
    set_preferences(personas.gp, other.pk, archived=True, muted=True)
    actions.send_message(personas.cardiologist, group.pk, client_id="groups-0004", body="Re")
    actions.send_message(personas.cardiologist, other.pk, client_id="groups-0005", body="Re")
    shown = {
        c["id"]: c["archived"]
        for c in as_user(personas.gp).get("/api/conversations").json()["results"]
    }
    assert shown[str(group.pk)] is False and shown[str(other.pk)] is True
