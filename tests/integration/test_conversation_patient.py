"""A conversation about a patient (issue 18 item 6): search a patient by name, birth date or INS
(with the identity status), attach or change them from the conversation, the identity chip in
the conversation's JSON, « Écrire à ce patient » from there; each change a system message and
audit events, each read of the identity an audit event; nothing for non-clinical roles."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from conversations import actions
from conversations.groups import actions as groups
from teleexpertise import actions as te
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def patient(name: str) -> Patient:
    return Patient.objects.get(birth_name=name)


def group_of(personas):
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title="Avis"
    )
    return conversation


def test_search_by_ins_name_first_name_or_birth_date_shows_the_identity_status(personas, as_user):
    gp = as_user(personas.gp)
    lefebvre = patient("LEFEBVRE")
    by_ins = gp.get(f"/api/patients?ins={lefebvre.ins}").json()["results"]
    assert [p["id"] for p in by_ins] == [str(lefebvre.pk)]
    assert by_ins[0]["identity_status"] == "QUAL"
    assert by_ins[0]["identity_status_label"] == "Identité qualifiée"
    by_name = gp.get("/api/patients?q=lef mar").json()["results"]
    assert [p["id"] for p in by_name] == [str(lefebvre.pk)]
    assert gp.get("/api/patients?q=lef jean").json()["results"] == []
    by_date = gp.get("/api/patients?birth_date=14/03/1985").json()["results"]
    assert [p["id"] for p in by_date] == [str(lefebvre.pk)]
    assert gp.get("/api/patients?birth_date=1985-03-14&q=gar").json()["results"] == []
    assert_error(gp.get("/api/patients?birth_date=31/02/1985"), 400, "invalid_birth_date")
    reads = AuditEvent.objects.filter(verb="patient.read", patient_id=lefebvre.pk)
    assert reads.count() == 3


def test_attaching_a_patient_shows_the_chip_and_leaves_a_message_and_events(personas, as_user):
    conversation = group_of(personas)
    lefebvre = patient("LEFEBVRE")
    answer = as_user(personas.gp).put(
        f"/api/conversations/{conversation.pk}/patient",
        {"patient": str(lefebvre.pk)},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    chip = answer.json()["patient"]
    assert chip == {
        "id": str(lefebvre.pk),
        "display_name": "LEFEBVRE Marie",
        "birth_name": "LEFEBVRE",
        "first_name": "Marie",
        "birth_date": "1985-03-14",
        "sex": "F",
        "identity_status": "QUAL",
        "identity_status_label": "Identité qualifiée",
        "writable": True,
    }
    assert "ins" not in str(chip).lower().replace("identit", "")
    # The cardiologist's hospital keeps no record of her: they see the chip, cannot write.
    theirs = as_user(personas.cardiologist).get(f"/api/conversations/{conversation.pk}")
    assert theirs.json()["patient"]["writable"] is False
    system = conversation.messages.get(kind="system")
    assert system.body == (
        "Dr Claire Martin a rattaché la conversation au patient LEFEBVRE Marie (née le 14/03/1985)."
    )
    attached = AuditEvent.objects.get(verb="conversation.patient_attached")
    assert attached.patient_id == lefebvre.pk and attached.data["previous_patient"] is None
    # Opening the conversation with the chip is a read of the patient's identity.
    assert AuditEvent.objects.filter(
        verb="conversation.detail_read", actor=personas.cardiologist, patient_id=lefebvre.pk
    ).exists()


def test_changing_the_patient_audits_both_and_says_so_in_the_conversation(personas, as_user):
    conversation = group_of(personas)
    gp = as_user(personas.gp)
    lefebvre, garnier = patient("LEFEBVRE"), patient("GARNIER")
    gp.put(
        f"/api/conversations/{conversation.pk}/patient",
        {"patient": str(lefebvre.pk)},
        format="json",
    )
    answer = gp.put(
        f"/api/conversations/{conversation.pk}/patient", {"patient": str(garnier.pk)}, format="json"
    )
    assert answer.json()["patient"]["id"] == str(garnier.pk)
    assert conversation.messages.filter(kind="system").order_by("seq").last().body == (
        "Dr Claire Martin a changé le patient de la conversation : LEFEBVRE Marie "
        "(née le 14/03/1985) → GARNIER Henri (né le 02/11/1942)."
    )
    detached = AuditEvent.objects.get(verb="conversation.patient_detached")
    assert detached.patient_id == lefebvre.pk
    attached = AuditEvent.objects.get(verb="conversation.patient_attached", patient_id=garnier.pk)
    assert attached.data["previous_patient"] == str(lefebvre.pk)
    # Detaching.
    gone = gp.put(f"/api/conversations/{conversation.pk}/patient", {"patient": None}, format="json")
    assert gone.status_code == 200 and gone.json()["patient"] is None
    assert AuditEvent.objects.filter(verb="conversation.patient_detached").count() == 2


def test_the_patient_of_a_teleexpertise_conversation_is_not_changed_here(personas, as_user):
    lefebvre, garnier = patient("LEFEBVRE"), patient("GARNIER")
    request = te.create_request(
        personas.gp,
        expert_id=personas.cardiologist.pk,
        patient_id=lefebvre.pk,
        question="Souffle systolique : avis ?",
        urgency="normal",
        consent=te.ConsentInput(
            method="oral", collected_at=timezone.now() - datetime.timedelta(hours=1)
        ),
    )
    conversation = request.conversation
    messages = conversation.messages.count()
    events = AuditEvent.objects.filter(verb__startswith="conversation.patient_").count()
    url = f"/api/conversations/{conversation.pk}/patient"
    for change in (str(garnier.pk), None):
        assert_error(
            as_user(personas.gp).put(url, {"patient": change}, format="json"),
            409,
            "teleexpertise_patient",
        )
    conversation.refresh_from_db()
    assert conversation.patient_id == lefebvre.pk
    assert conversation.messages.count() == messages
    assert AuditEvent.objects.filter(verb__startswith="conversation.patient_").count() == events


def test_a_patient_outside_the_users_organisations_cannot_be_attached(personas, as_user):
    conversation = group_of(personas)
    morel = patient("MOREL")  # kept by the CH du Mans, not by the GP's practice
    assert_error(
        as_user(personas.gp).put(
            f"/api/conversations/{conversation.pk}/patient",
            {"patient": str(morel.pk)},
            format="json",
        ),
        404,
    )
    conversation.refresh_from_db()
    assert conversation.patient_id is None and not conversation.messages.exists()


def test_a_one_to_one_about_a_patient_is_no_longer_the_everyday_one_to_one(personas, as_user):
    direct, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    as_user(personas.gp).put(
        f"/api/conversations/{direct.pk}/patient",
        {"patient": str(patient("LEFEBVRE").pk)},
        format="json",
    )
    fresh, created = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    assert created and fresh.pk != direct.pk and fresh.patient_id is None


def test_the_patient_record_for_writing_is_read_with_an_audit_event(personas, as_user):
    lefebvre = patient("LEFEBVRE")
    answer = as_user(personas.gp).get(f"/api/patients/{lefebvre.pk}")
    assert answer.status_code == 200
    assert answer.json()["mssante_address"] == f"{lefebvre.ins}@patient.mssante.fr"
    assert AuditEvent.objects.filter(
        verb="patient.read", patient_id=lefebvre.pk, data__context="detail"
    ).exists()
    assert_error(as_user(personas.cardiologist).get(f"/api/patients/{lefebvre.pk}"), 404)


def test_the_chip_is_an_audited_read_even_before_any_message(personas, as_user):
    lefebvre = patient("LEFEBVRE")
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], patient=lefebvre
    )
    assert conversation.last_seq == 0
    listed = as_user(personas.cardiologist).get("/api/conversations").json()["results"]
    assert listed[0]["patient"]["birth_name"] == "LEFEBVRE"
    assert AuditEvent.objects.filter(
        verb="conversation.list_read", actor=personas.cardiologist, patient_id=lefebvre.pk
    ).exists()


def test_the_chip_sent_in_a_frame_is_an_audited_read_once_per_user(personas, as_user):
    lefebvre, garnier = patient("LEFEBVRE"), patient("GARNIER")

    def frame_reads(who: Patient) -> list[tuple[str, str]]:
        events = AuditEvent.objects.filter(
            verb="conversation.list_read", patient_id=who.pk, data__has_key="frame"
        ).values_list("actor__username", "data__frame")
        return sorted(events)

    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title="Avis", patient=lefebvre
    )
    new = "conversation.new"
    gp, cardio = personas.gp.username, personas.cardiologist.username
    assert frame_reads(lefebvre) == sorted([(gp, new), (cardio, new)])
    # The same chip sent again (a new title) is no new read; a new patient's chip is.
    groups.rename(personas.gp, conversation.pk, "Avis cardio")
    assert frame_reads(lefebvre) == sorted([(gp, new), (cardio, new)])
    as_user(personas.gp).put(
        f"/api/conversations/{conversation.pk}/patient", {"patient": str(garnier.pk)}, format="json"
    )
    updated = "conversation.updated"
    assert frame_reads(garnier) == sorted([(gp, updated), (cardio, updated)])
    for event in AuditEvent.objects.filter(data__has_key="frame"):
        assert set(event.data) == {"frame"}  # nothing of the patient's data in the event


@pytest.mark.parametrize("persona", ["billing", "billing_mailbox_member", "admin"])
def test_non_clinical_roles_never_see_a_patient(personas, as_user, persona):
    morel = patient("MOREL")  # kept by the CH du Mans, where all three work
    client = as_user(getattr(personas, persona))
    before = AuditEvent.objects.filter(verb="patient.read").count()
    search = client.get("/api/patients?q=mor")
    assert search.status_code in (200, 403)
    if search.status_code == 200:
        assert search.json()["results"] == []
    assert client.get(f"/api/patients/{morel.pk}").status_code in (403, 404)
    assert AuditEvent.objects.filter(verb="patient.read").count() == before
