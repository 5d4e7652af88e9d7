"""Billing review: the organisation's acts only, nothing clinical, transitions, CSV/XLSX."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from backend.accounts.models import Membership, Organization, Professional
from backend.audit.models import AuditEvent
from teleexpertise import actions
from teleexpertise.models import Act
from tests.conftest import assert_error
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    lefebvre,
    make_professional,
)

pytestmark = pytest.mark.django_db
CLINICAL_WORDS = ["Souffle", "fonctionnel", "Échographie", "Patiente de 41 ans"]


@pytest.fixture
def filed(personas):
    """One filed request: TE2 for dr.bernard (CH du Mans), RQD for dr.martin (cabinet)."""
    ensure_tariffs()
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    when = datetime.datetime(2026, 2, 10, 12, tzinfo=datetime.UTC)
    return actions.file_request(personas.cardiologist, request.pk, now=when)


def test_billing_sees_only_its_organisation_acts_and_nothing_clinical(personas, as_user, filed):
    response = as_user(personas.billing).get("/api/billing/acts")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [a["code"] for a in body["acts"]] == ["TE2"]  # the RQD is the cabinet's
    act = body["acts"][0]
    assert act["amount"] == "23.00" and act["act_date"] == "2026-02-10"
    assert act["reference"] == filed.reference
    assert act["professional"]["display_name"] == "Dr Paul Bernard"
    assert act["professional"]["rpps"] == personas.cardiologist.professional.rpps
    assert act["professional"]["am_number"] == "721000029"
    assert act["patient"]["birth_name"] == "LEFEBVRE"
    assert act["patient"]["ins"] == "285037728417346"
    assert body["totals"] == {
        "count": 1,
        "amount": "23.00",
        "by_code": {"TE2": "23.00"},
        "by_status": {"declared": "23.00"},
        "amount_display": "23,00\u00a0€",
    }
    text = response.content.decode()
    assert all(word not in text for word in CLINICAL_WORDS)
    assert "question" not in text and "report" not in text and "conversation" not in text


def test_a_billing_clerk_of_the_cabinet_sees_the_rqd(personas, as_user, filed):
    cabinet = Organization.objects.get(name="Cabinet médical de la Gare")
    clerk = make_professional(cabinet, username="fact.cabinet", profession_code="", role="billing")
    acts = as_user(clerk).get("/api/billing/acts").json()["acts"]
    assert [(a["code"], a["amount"], a["prescriber_am_number"]) for a in acts] == [
        ("RQD", "10.00", "721000029")
    ]


def test_filters(personas, as_user, filed):
    client = as_user(personas.billing)

    def codes(**params):
        return [a["code"] for a in client.get("/api/billing/acts", params).json()["acts"]]

    assert codes(code="TE2") == ["TE2"]
    assert codes(code="RQD") == []
    assert codes(status="paid") == []
    assert codes(**{"from": "2026-02-11"}) == []
    assert codes(**{"from": "2026-02-01", "to": "2026-02-10"}) == ["TE2"]
    assert codes(professional=str(personas.cardiologist.pk)) == ["TE2"]
    assert codes(professional=str(personas.dermatologist.pk)) == []
    assert_error(client.get("/api/billing/acts", {"from": "10/02/2026"}), 400)
    assert_error(client.get("/api/billing/acts", {"status": "lost"}), 400)


def test_transitions_declared_transmitted_paid_and_rejected_with_note(personas, as_user, filed):
    client = as_user(personas.billing)
    act = Act.objects.get(code="TE2")
    url = f"/api/billing/acts/{act.pk}/transition"
    assert_error(client.post(url, {"status": "paid"}, format="json"), 409, "invalid_transition")
    moved = client.post(url, {"status": "transmitted"}, format="json")
    assert moved.json()["act"]["status"] == "transmitted"
    assert_error(client.post(url, {"status": "rejected"}, format="json"), 400, "note_required")
    rejected = client.post(url, {"status": "rejected", "note": "N° AM erroné"}, format="json")
    assert rejected.json()["act"]["status"] == "rejected"
    assert rejected.json()["act"]["note"] == "N° AM erroné"
    assert_error(client.post(url, {"status": "paid"}, format="json"), 409, "invalid_transition")
    audited = AuditEvent.objects.filter(verb="billing.act_transition", object_id=str(act.pk))
    assert [e.data["to"] for e in audited.order_by("at", "id")] == ["transmitted", "rejected"]


def test_billing_cannot_move_another_organisation_act(personas, as_user, filed):
    rqd = Act.objects.get(code="RQD")
    response = as_user(personas.billing).post(
        f"/api/billing/acts/{rqd.pk}/transition", {"status": "transmitted"}, format="json"
    )
    assert_error(response, 404)
    rqd.refresh_from_db()
    assert rqd.status == "declared"


def test_csv_export_for_french_excel(personas, as_user, filed):
    response = as_user(personas.billing).get("/api/billing/acts.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, line = rows[0], rows[1]
    assert len(rows) == 2
    record = dict(zip(header, line, strict=True))
    assert record["Code acte"] == "TE2"
    assert record["Montant (EUR)"] == "23,00\u00a0€"
    assert record["Date de l'acte"] == "10/02/2026"
    assert record["RPPS"] == personas.cardiologist.professional.rpps
    assert record["N° Assurance Maladie"] == "721000029"
    assert record["Nom de naissance patient"] == "LEFEBVRE"
    assert record["Référence demande"] == filed.reference
    assert all(word not in raw.decode("utf-8") for word in CLINICAL_WORDS)
    assert AuditEvent.objects.filter(verb="billing.acts_exported").exists()


def test_xlsx_export(personas, as_user, filed):
    response = as_user(personas.billing).get("/api/billing/acts.xlsx", {"code": "TE2"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert len(rows) == 2
    assert record["Code acte"] == "TE2"
    assert float(record["Montant (EUR)"]) == 23.0
    assert record["Date de l'acte"].date() == datetime.date(2026, 2, 10)
    assert record["Prénom(s) patient"] == "Marie Louise"


def test_clinicians_have_no_billing_view(personas, as_user, filed):
    for user in (personas.gp, personas.cardiologist, personas.nurse, personas.secretary):
        for path in ["/api/billing/acts", "/api/billing/acts.csv", "/api/billing/acts.xlsx"]:
            assert_error(as_user(user).get(path), 403)
    assert Professional.objects.filter(memberships__role=Membership.Role.BILLING).exists()
