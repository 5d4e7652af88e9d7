"""The audit trail is append-only, and readable only by the right administrators."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from backend.audit import log as audit
from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_the_model_refuses_changes_and_deletes(personas):
    event = audit.record("test.event", actor=personas.gp, object_type="x", object_id="1")
    event.verb = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_even_in_raw_sql(personas):
    event = audit.record("test.event", actor=personas.gp, object_type="x", object_id="1")
    for statement in (
        "UPDATE audit_auditevent SET verb = 'forged' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(verb="forged")
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.event"


def test_admin_reads_the_trail_of_a_patient_of_their_organisation_only(personas, as_user):
    hospital_patient = Patient.objects.get(birth_name="MOREL")  # kept by CH du Mans
    practice_patient = Patient.objects.get(birth_name="LEFEBVRE")  # kept by the practice
    for patient in (hospital_patient, practice_patient):
        audit.record(
            "patient.read",
            actor=personas.cardiologist,
            obj=patient,
            patient_id=patient.pk,
            organization=patient.organization,
        )
    admin = as_user(personas.admin)
    events = admin.get(f"/api/audit?patient={hospital_patient.pk}").json()["results"]
    assert [e["verb"] for e in events] == ["patient.read"]
    assert events[0]["actor_name"] == "Dr Paul Bernard"
    assert admin.get(f"/api/audit?patient={practice_patient.pk}").json()["results"] == []
    assert_error(admin.get("/api/audit?patient=not-a-uuid"), 400, "patient_required")
    for other in (personas.cardiologist, personas.billing, personas.gp):
        assert_error(as_user(other).get(f"/api/audit?patient={hospital_patient.pk}"), 403)
    assert_error(as_user(None).get(f"/api/audit?patient={hospital_patient.pk}"), 401)
