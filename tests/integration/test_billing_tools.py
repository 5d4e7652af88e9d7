"""Issue 17's billing tools: name/RPPS filter, bulk changes, one French amount format, exports
that never run a formula and keep the INS as text, a clinician's own acts."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from backend.audit.models import AuditEvent
from backend.patients.models import Patient
from teleexpertise import actions
from teleexpertise.billing_exports import grouped_ins, neutralise
from teleexpertise.models import Act
from tests.conftest import assert_error
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    lefebvre,
)

pytestmark = pytest.mark.django_db
FORMULAS = ['=HYPERLINK("http://x")', "+33612", "-1+1", "@SUM(A1)", "\tcmd", "\rcmd"]


def _file(personas, expert, patient=None, day=10):
    ensure_tariffs()
    request = answered_request(personas.gp, expert, patient or lefebvre())
    when = datetime.datetime(2026, 2, day, 12, tzinfo=datetime.UTC)
    return actions.file_request(expert, request.pk, now=when)


@pytest.fixture
def two_experts(personas):
    _file(personas, personas.cardiologist)
    _file(personas, personas.dermatologist, day=11)


def _codes(client, **params):
    response = client.get("/api/billing/acts", params)
    assert response.status_code == 200, response.content
    return sorted(a["professional"]["display_name"] for a in response.json()["acts"])


def test_the_professional_filter_takes_a_name_or_an_rpps(personas, as_user, two_experts):
    clerk = as_user(personas.billing)
    assert _codes(clerk) == ["Dr Paul Bernard", "Dr Sophie Petit"]
    assert _codes(clerk, professional="bern") == ["Dr Paul Bernard"]
    assert _codes(clerk, professional="Paul BERNARD") == ["Dr Paul Bernard"]
    rpps = personas.dermatologist.professional.rpps
    assert _codes(clerk, professional=rpps) == ["Dr Sophie Petit"]
    assert _codes(clerk, professional=rpps[:6]) != []
    assert _codes(clerk, professional=str(personas.cardiologist.pk)) == ["Dr Paul Bernard"]
    assert _codes(clerk, professional="inconnu") == []


def test_bulk_status_change_on_a_selection(personas, as_user, two_experts):
    acts = list(Act.objects.filter(code="TE2"))
    rqd = Act.objects.get(code="RQD", request=acts[0].request)  # the cabinet's: not the clerk's
    response = as_user(personas.billing).post(
        "/api/billing/acts/transition",
        {"acts": [str(a.pk) for a in acts] + [str(rqd.pk)], "status": "transmitted"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(a["id"] for a in body["acts"]) == sorted(str(a.pk) for a in acts)
    assert [(r["id"], r["code"]) for r in body["refused"]] == [(str(rqd.pk), "not_found")]
    assert {a.status for a in Act.objects.filter(code="TE2")} == {"transmitted"}
    rqd.refresh_from_db()
    assert rqd.status == "declared"
    assert AuditEvent.objects.filter(verb="billing.act_transition").count() == 2
    # A rejection needs its reason, for the whole selection.
    refused = as_user(personas.billing).post(
        "/api/billing/acts/transition",
        {"acts": [str(a.pk) for a in acts], "status": "rejected"},
        format="json",
    )
    assert {r["code"] for r in refused.json()["refused"]} == {"note_required"}


def test_bulk_change_input_and_roles(personas, as_user, two_experts):
    clerk = as_user(personas.billing)
    assert_error(clerk.post("/api/billing/acts/transition", {"acts": []}, format="json"), 400)
    bad = {"acts": ["x"], "status": "paid"}
    assert_error(clerk.post("/api/billing/acts/transition", bad, format="json"), 400)
    ids = [str(a.pk) for a in Act.objects.all()]
    for user in (personas.gp, personas.cardiologist, personas.secretary):
        response = as_user(user).post(
            "/api/billing/acts/transition", {"acts": ids, "status": "paid"}, format="json"
        )
        assert_error(response, 403)
    assert set(Act.objects.values_list("status", flat=True)) == {"declared"}


def test_amounts_have_one_french_format(personas, as_user, two_experts):
    body = as_user(personas.billing).get("/api/billing/acts").json()
    assert {a["amount_display"] for a in body["acts"]} == {"23,00\u00a0€"}
    assert body["totals"]["amount_display"] == "46,00\u00a0€"


def _hostile_patient():
    """A patient whose traits a malicious import could have filled with formulas."""
    patient = lefebvre()
    Patient.objects.filter(pk=patient.pk).update(
        birth_name='=HYPERLINK("http://x")', first_names=["+33612", "@SUM(A1)"]
    )
    return patient


def test_csv_never_starts_a_cell_with_a_formula_and_keeps_the_ins_as_text(personas, as_user):
    _file(personas, personas.cardiologist, _hostile_patient())
    raw = as_user(personas.billing).get("/api/billing/acts.csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw), delimiter=";"))
    record = dict(zip(rows[0], rows[1], strict=True))
    for value in record.values():
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert record["Nom de naissance patient"] == '\'=HYPERLINK("http://x")'
    assert record["Prénom(s) patient"] == "'+33612 @SUM(A1)"
    assert record["INS patient"] == "2 85 03 77 284 173 46"
    assert record["INS patient"].replace(" ", "") == "285037728417346"


def test_xlsx_neutralises_formulas_keeps_ins_text_dates_dates_and_sizes_columns(personas, as_user):
    _file(personas, personas.cardiologist, _hostile_patient())
    content = as_user(personas.billing).get("/api/billing/acts.xlsx").content
    sheet = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, sheet[2], strict=True))
    for cell in sheet[2]:
        assert cell.data_type != "f", cell.value
    assert cells["Nom de naissance patient"].value == '\'=HYPERLINK("http://x")'
    ins = cells["INS patient"]
    assert (ins.value, ins.data_type, ins.number_format) == ("285037728417346", "s", "@")
    assert cells["RPPS"].data_type == "s"
    act_date = cells["Date de l'acte"]
    assert act_date.is_date and act_date.value.date() == datetime.date(2026, 2, 10)
    assert act_date.number_format == "DD/MM/YYYY"
    assert cells["Montant (EUR)"].data_type == "n" and cells["Montant (EUR)"].value == 23
    widths = {k: sheet.column_dimensions[c.column_letter].width for k, c in cells.items()}
    assert widths["INS patient"] >= 15 and widths["Référence demande"] >= 17


@pytest.mark.parametrize("value", FORMULAS)
def test_every_formula_start_is_neutralised(value):
    assert neutralise(value) == "'" + value
    assert neutralise("LEFEBVRE") == "LEFEBVRE"
    assert grouped_ins("285037728417346") == "2 85 03 77 284 173 46"


def test_a_clinician_sees_and_exports_only_their_own_acts(personas, as_user, two_experts):
    cardio = as_user(personas.cardiologist)
    mine = cardio.get("/api/billing/my-acts").json()
    assert {(a["code"], a["professional"]["display_name"]) for a in mine["acts"]} == {
        ("TE2", "Dr Paul Bernard")
    }
    assert mine["acts"][0]["status_label"] == "Déclaré"
    gp = as_user(personas.gp).get("/api/billing/my-acts", {"code": "RQD"}).json()
    assert [a["code"] for a in gp["acts"]] == ["RQD", "RQD"]
    csv_text = cardio.get("/api/billing/my-acts.csv").content.decode("utf-8-sig")
    assert csv_text.count("\r\n") == 2 and "Petit" not in csv_text
    xlsx = load_workbook(io.BytesIO(cardio.get("/api/billing/my-acts.xlsx").content)).active
    assert xlsx.max_row == 2
    assert AuditEvent.objects.filter(verb="billing.own_acts_exported").count() == 2
    # Nobody moves a status from the own-acts view: it is read-only.
    act = Act.objects.get(code="TE2", professional=personas.cardiologist.professional)
    response = cardio.post(f"/api/billing/acts/{act.pk}/transition", {"status": "paid"})
    assert_error(response, 403)


def test_own_acts_need_a_professional_and_a_session(personas, as_user):
    assert as_user(None).get("/api/billing/my-acts").status_code in (401, 403)
    assert as_user(personas.billing).get("/api/billing/my-acts").json()["acts"] == []


def test_a_clerk_member_of_a_team_mailbox_still_sees_no_clinical_field(
    personas, as_user, two_experts
):
    text = as_user(personas.billing_mailbox_member).get("/api/billing/acts").content.decode()
    assert "question" not in text and "report" not in text and "Souffle" not in text
