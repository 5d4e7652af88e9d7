"""« Journal d'accès »: an admin or the DPO finds a patient, lists who read or changed what,
filters and exports; every read of patient data leaves an event; the rows are append-only."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from backend.accounts.models import Membership
from backend.audit import log as audit
from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from conversations import actions as conversation_actions
from tests.conftest import assert_error
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    lefebvre,
)

pytestmark = pytest.mark.django_db


def _morel():
    return Patient.objects.get(birth_name="MOREL")  # kept by CH du Mans


def _dpo(personas):
    """The DPO of CH du Mans: the billing clerk's colleague given the DPO role only."""
    from tests.integration.test_teleexpertise_factories import make_professional

    hospital = personas.admin.professional.memberships.get(role="admin").organization
    return make_professional(hospital, username="dpo.mans", role=Membership.Role.DPO)


@pytest.fixture
def morel_story(personas, as_user):
    """The cardiologist opens a conversation about MOREL and reads it back."""
    conversation, _ = conversation_actions.create_conversation(
        personas.cardiologist, users=[personas.dermatologist], title="Avis", patient=_morel()
    )
    conversation_actions.send_message(
        personas.cardiologist, conversation.pk, client_id="c1", body="ECG ci-joint ?"
    )
    cardio = as_user(personas.cardiologist)
    assert cardio.get("/api/conversations").status_code == 200
    assert cardio.get(f"/api/conversations/{conversation.pk}").status_code == 200
    assert cardio.get(f"/api/conversations/{conversation.pk}/messages").status_code == 200
    derm = as_user(personas.dermatologist)
    assert derm.get("/api/conversations").status_code == 200
    return conversation


def test_every_read_of_patient_data_leaves_an_event(personas, as_user, morel_story):
    verbs = set(AuditEvent.objects.filter(patient_id=_morel().pk).values_list("verb", flat=True))
    assert {
        "conversation.list_read",
        "conversation.detail_read",
        "conversation.history_read",
    } <= verbs
    # Teleexpertise lists and details too.
    ensure_tariffs()
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    gp = as_user(personas.gp)
    gp.get("/api/teleexpertise/requests")
    gp.get(f"/api/teleexpertise/requests/{request.pk}")
    verbs = set(AuditEvent.objects.filter(patient_id=lefebvre().pk).values_list("verb", flat=True))
    assert {"teleexpertise.list_read", "teleexpertise.read"} <= verbs
    # An event never carries the message text.
    for event in AuditEvent.objects.all():
        assert "ECG ci-joint" not in str(event.data)


def test_admin_finds_a_patient_by_ins_name_or_birth_date(personas, as_user):
    admin = as_user(personas.admin)
    morel = _morel()
    for params in ({"ins": morel.ins}, {"q": "mor"}, {"birth_date": morel.birth_date.isoformat()}):
        found = admin.get("/api/audit/journal/patients", params)
        assert found.status_code == 200, found.content
        assert str(morel.pk) in [p["id"] for p in found.json()["patients"]], params
    # A patient of another organisation is not found.
    assert admin.get("/api/audit/journal/patients", {"ins": lefebvre().ins}).json() == {
        "patients": []
    }
    assert_error(admin.get("/api/audit/journal/patients"), 400)
    assert_error(admin.get("/api/audit/journal/patients", {"ins": "12"}), 400)
    assert_error(admin.get("/api/audit/journal/patients", {"birth_date": "01/02/1990"}), 400)


def test_the_journal_filters_by_user_period_and_action(personas, as_user, morel_story):
    admin = as_user(personas.admin)
    base = {"patient": str(_morel().pk)}

    def verbs(**params):
        response = admin.get("/api/audit/journal/events", {**base, **params})
        assert response.status_code == 200, response.content
        return [(e["actor_name"], e["verb"]) for e in response.json()["events"]]

    everyone = verbs()
    assert ("Dr Paul Bernard", "conversation.history_read") in everyone
    assert ("Dr Sophie Petit", "conversation.list_read") in everyone
    only_derm = verbs(user=str(personas.dermatologist.pk))
    assert only_derm and {name for name, _ in only_derm} == {"Dr Sophie Petit"}
    assert {v for _, v in verbs(action="conversation.history_read")} == {
        "conversation.history_read"
    }
    assert all(v.endswith("read") for _, v in verbs(kind="read"))
    today = timezone.localdate().isoformat()
    assert verbs(**{"from": today, "to": today}) != []
    assert verbs(**{"from": "2020-01-01", "to": "2020-12-31"}) == []
    event = admin.get("/api/audit/journal/events", base).json()["events"][0]
    assert {"at", "ip", "label", "object_type"} <= set(event)
    assert_error(admin.get("/api/audit/journal/events", {"from": "hier"}), 400)
    assert_error(admin.get("/api/audit/journal/events", {"user": "x"}), 400)
    assert_error(admin.get("/api/audit/journal/events", {"kind": "all"}), 400)
    # Reading the journal is itself recorded.
    assert AuditEvent.objects.filter(verb="audit.journal_read", actor=personas.admin).exists()


def test_the_journal_exports_csv_without_formulas(personas, as_user, morel_story):
    response = as_user(personas.admin).get(
        "/api/audit/journal/events.csv", {"patient": str(_morel().pk)}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Utilisateur", "Action"]
    assert any(r[3] == "conversation.history_read" for r in rows[1:])
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert AuditEvent.objects.filter(verb="audit.journal_read", data__export="csv").exists()


def test_a_dpo_reads_the_journal_and_nothing_clinical(personas, as_user, morel_story):
    dpo = as_user(_dpo(personas))
    response = dpo.get("/api/audit/journal/events", {"patient": str(_morel().pk)})
    assert response.status_code == 200 and response.json()["events"]
    assert "ECG ci-joint" not in response.content.decode()
    assert_error(dpo.get("/api/conversations"), 403)
    assert_error(dpo.get("/api/teleexpertise/requests"), 403)
    assert_error(dpo.get("/api/billing/acts"), 403)


JOURNAL_PATHS = [
    "/api/audit/journal/patients?q=mor",
    "/api/audit/journal/events",
    "/api/audit/journal/events.csv",
]


@pytest.mark.parametrize("path", JOURNAL_PATHS)
@pytest.mark.parametrize(
    "persona",
    [
        "gp",
        "cardiologist",
        "dermatologist",
        "nurse",
        "coordinator",
        "secretary",
        "billing",
        "billing_mailbox_member",
    ],
)
def test_only_admins_and_the_dpo_open_the_journal(personas, as_user, path, persona):
    before = AuditEvent.objects.count()
    assert_error(as_user(getattr(personas, persona)).get(path), 403, "forbidden")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("path", JOURNAL_PATHS)
def test_anonymous_never_opens_the_journal(personas, as_user, path):
    assert as_user(None).get(path).status_code in (401, 403)


def test_an_admin_of_another_organisation_sees_none_of_these_events(personas, as_user, morel_story):
    from tests.integration.test_teleexpertise_factories import make_professional

    practice = personas.gp.professional.memberships.first().organization
    other_admin = make_professional(practice, username="admin.cabinet", role="admin")
    events = as_user(other_admin).get("/api/audit/journal/events", {"patient": str(_morel().pk)})
    assert events.json()["events"] == []


# --- Append-only -------------------------------------------------------------------------


def test_the_sqlite_triggers_refuse_update_and_delete_outside_a_purge():
    """The migrations' own statements, on a real SQLite database: no table opens a way round
    the delete trigger any more; only the tests' flush hook (which drops it) purges."""
    from importlib import import_module

    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE audit_auditevent (id INTEGER PRIMARY KEY, verb TEXT)")
    for name in ("0003_sqlite_append_only_trigger", "0004_sqlite_no_purge_window"):
        for statement in import_module(f"backend.audit.migrations.{name}").FORWARD:
            db.execute(statement)
    tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("audit_auditevent",)]
    db.execute("INSERT INTO audit_auditevent (verb) VALUES ('patient.read')")
    for statement in ("UPDATE audit_auditevent SET verb = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(statement)
    assert db.execute("SELECT verb FROM audit_auditevent").fetchall() == [("patient.read",)]
    db.execute("DROP TRIGGER audit_event_no_delete")  # what the tests' flush hook does
    db.execute("DELETE FROM audit_auditevent")
    assert db.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (0,)


def test_the_database_in_use_refuses_changes_to_audit_rows(personas):
    event = audit.record("test.event", actor=personas.gp, object_type="x", object_id="1")
    for statement in (
        "UPDATE audit_auditevent SET verb = 'forged' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.event"


def test_events_about_the_organisations_patients_without_an_organisation_are_listed(
    personas, as_user
):
    """Some writers record the patient only (an inbox mail read): the journal still shows it."""
    audit.record(
        "mssante.inbox.read", actor=personas.secretary, object_type="x", patient_id=_morel().pk
    )
    audit.record("mssante.inbox.read", actor=personas.gp, object_type="x", patient_id=lefebvre().pk)
    events = as_user(personas.admin).get("/api/audit/journal/events").json()["events"]
    assert [(e["verb"], e["patient_id"]) for e in events if e["verb"] == "mssante.inbox.read"] == [
        ("mssante.inbox.read", str(_morel().pk))
    ]
