"""Issue 17 in Chromium: the expert confirms filing and follows each delivery, a team request is
seen by the secretariat and taken by Dr Bernard, the billing clerk filters by name and changes a
selection at once, the DPO reads a patient's access journal (search by INS, filter, export)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.accounts.models import Mailbox, Membership, User
from backend.demo import APP_MAILBOX
from backend.mssante.models import OutboundRecipient
from backend.patients.models import Patient
from conversations import actions as conversation_actions
from teleexpertise import actions
from teleexpertise.models import Act, TeleexpertiseRequest
from tests.e2e.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.integration.test_teleexpertise_factories import (
    answered_request,
    ensure_tariffs,
    lefebvre,
    make_professional,
)
from tests.operator.operator import OP1, Operators
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "bypass_csp": True, "locale": "fr-FR"}
PHONE = {"viewport": {"width": 360, "height": 740}, "bypass_csp": True, "locale": "fr-FR"}
UNKNOWN_DPI = f"dpi.ch-mans@{OP1}"  # op1 has no such mailbox


@pytest.fixture
def operator_server(personas: Any, mss_operators: Operators, tmp_path: Path) -> Iterator[Daphne]:
    """Mails leave during the filing request itself (eager tasks) through the real submission
    server of test operator op1 (STARTTLS, the test IGC-Santé chain, the hospital's certificate
    for mutual TLS), so each recipient's status is the operator's answer when the page shows it."""
    cert, key = mss_operators.client_cert(f"dpi-app@{OP1}")
    with Daphne(
        CELERY_TASK_ALWAYS_EAGER="1",
        PLATFORM_VAR_DIR=str(tmp_path),
        MSSANTE_TRANSPORT="smtp",
        MSSANTE_SMTP_HOST="127.0.0.1",
        MSSANTE_SMTP_PORT=str(mss_operators.op("op1").submission_port),
        MSSANTE_CA_FILE=str(mss_operators.pki.ca_bundle),
        MSSANTE_SMTP_CA_FILE=str(mss_operators.pki.ca_bundle),
        MSSANTE_CRL_FILE=str(mss_operators.pki.crl),
        MSSANTE_SMTP_CLIENT_CERT=str(cert),
        MSSANTE_SMTP_CLIENT_KEY=str(key),
    ) as daphne:
        yield daphne


def new_page(browser: Any, base: str, username: str, context: dict | None = None) -> Any:
    page = browser.new_context(**(context or DESKTOP)).new_page()
    sign_in(page, base, username)
    return page


def test_expert_confirms_filing_then_sees_each_delivery(personas, operator_server, browser):
    ensure_tariffs()
    # The hospital's DPI mailbox is listed at op1, whose records have no such mailbox: op1
    # refuses it at submission (the failure comes from the real operator, not from the test).
    Mailbox.objects.filter(address=APP_MAILBOX[0]).update(address=UNKNOWN_DPI)
    request = answered_request(personas.gp, personas.cardiologist, lefebvre())
    cardio = new_page(browser, operator_server.base, "dr.bernard")
    cardio.goto(f"{operator_server.base}/teleexpertise/{request.pk}")
    year = timezone.localdate().year
    expect(cardio.get_by_test_id("te-counter-TE2")).to_have_text(
        f"TE2 : 0/4 pour ce patient en {year}"
    )
    cardio.get_by_test_id("te-file").click()
    dialog = cardio.get_by_test_id("te-filing-dialog")
    recipients = dialog.get_by_test_id("te-filing-recipient")
    expect(recipients).to_have_count(3)
    expect(recipients.nth(0)).to_contain_text("Demandeur")
    expect(dialog.locator("[data-role=dpi]")).to_contain_text("DPI")
    expect(dialog.locator("[data-role=patient_record]")).to_contain_text("DMP")
    dialog.get_by_test_id("te-visibility-invisible_patient").check()
    screenshot(cardio, "te-filing-confirmation")
    assert serious_accessibility_violations(cardio) == []
    dialog.get_by_test_id("te-filing-confirm").click()
    expect(cardio.get_by_test_id("te-status")).to_contain_text("Classée", timeout=30_000)
    deliveries = cardio.get_by_test_id("te-delivery")
    expect(deliveries).to_have_count(3)
    # op1 accepted the requester's and the patient record's copies (relayed onwards)...
    expect(cardio.locator("[data-testid=te-delivery][data-status=sent]")).to_have_count(2)
    request.report.refresh_from_db()
    assert request.report.dmp_visibility == "invisible_patient"
    # ... and refused the DPI's: the page names the failure and the operator's reason.
    failed = cardio.locator("[data-testid=te-delivery][data-role=dpi]")
    expect(failed).to_contain_text("Échec")
    expect(failed).to_contain_text("550 5.1.1")
    expect(failed).to_contain_text("User unknown")
    recipient = OutboundRecipient.objects.get(address=UNKNOWN_DPI)
    assert recipient.status == "failed" and recipient.reason.startswith("550 5.1.1")
    screenshot(cardio, "te-deliveries")


def test_team_request_is_seen_by_the_secretariat_and_taken_by_dr_bernard(
    personas, server: Daphne, browser
):
    gp = new_page(browser, server.base, "dr.martin")
    gp.goto(server.base + "/teleexpertise/nouvelle")
    gp.get_by_test_id("te-patient-search").fill("LEF")
    gp.get_by_test_id("te-patient-item").first.click()
    gp.get_by_test_id("te-team-item").filter(has_text="cardiologie").get_by_test_id(
        "te-team-choose"
    ).click()
    expect(gp.get_by_test_id("te-consent-patient")).to_contain_text("LEFEBVRE")
    gp.get_by_test_id("te-consent-oral").check()
    gp.get_by_test_id("te-consent-informed").check()
    gp.get_by_test_id("te-consent-next").click()
    gp.get_by_test_id("te-question").fill("Souffle systolique : avis de l'équipe de cardiologie ?")
    gp.get_by_test_id("te-submit").click()
    expect(gp.get_by_test_id("te-team")).to_contain_text("cardiologie", timeout=10_000)
    request = TeleexpertiseRequest.objects.get()
    assert request.team_mailbox is not None and request.expert is None
    secretary = new_page(browser, server.base, "sec.cardio", PHONE)
    expect(secretary.get_by_test_id("nav-te-badge")).to_have_text("1", timeout=10_000)
    secretary.goto(server.base + "/teleexpertise")
    secretary.get_by_test_id("te-tab-received").click()
    secretary.get_by_test_id("te-filter-status").select_option("submitted")
    item = secretary.get_by_test_id("te-request-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Secrétariat de cardiologie")
    screenshot(secretary, "te-team-received-phone")
    item.click()
    expect(secretary.get_by_test_id("te-team")).to_contain_text("cardiologie")
    expect(secretary.get_by_test_id("te-take")).to_have_count(0)  # the secretariat cannot take it

    cardio = new_page(browser, server.base, "dr.bernard")
    cardio.goto(f"{server.base}/teleexpertise/{request.pk}")
    cardio.get_by_test_id("te-take").click()
    expect(cardio.get_by_test_id("te-status")).to_contain_text("Acceptée", timeout=10_000)
    expect(cardio.get_by_test_id("te-expert")).to_contain_text("Bernard")
    # The secretariat's page follows in real time.
    expect(secretary.get_by_test_id("te-expert")).to_contain_text("Bernard", timeout=15_000)
    # The billing clerk who reads the team's mail sees nothing of it.
    clerk = new_page(browser, server.base, "fact.girard")
    clerk.goto(f"{server.base}/teleexpertise/{request.pk}")
    expect(clerk.get_by_test_id("forbidden")).to_be_visible()


def test_billing_bulk_change_and_professional_filter(personas, server: Daphne, browser):
    ensure_tariffs()
    for expert in (personas.cardiologist, personas.dermatologist):
        filed = answered_request(personas.gp, expert, lefebvre())
        actions.file_request(expert, filed.pk)
    clerk = new_page(browser, server.base, "fact.moreau")
    expect(clerk.get_by_test_id("billing-row")).to_have_count(2, timeout=10_000)
    clerk.get_by_test_id("billing-filter-professional").fill("petit")
    clerk.get_by_test_id("billing-filter-apply").click()
    expect(clerk.get_by_test_id("billing-row")).to_have_count(1)
    expect(clerk.get_by_test_id("billing-row")).to_contain_text("Petit")
    rpps = personas.cardiologist.professional.rpps
    clerk.get_by_test_id("billing-filter-professional").fill(rpps)
    clerk.get_by_test_id("billing-filter-apply").click()
    expect(clerk.get_by_test_id("billing-row")).to_contain_text("Bernard")
    clerk.get_by_test_id("billing-filter-professional").fill("")
    clerk.get_by_test_id("billing-filter-apply").click()
    expect(clerk.get_by_test_id("billing-row")).to_have_count(2)
    expect(clerk.get_by_test_id("billing-row").first).to_contain_text("23,00\u00a0€")
    clerk.get_by_test_id("billing-select-all").check()
    expect(clerk.get_by_test_id("billing-selected-count")).to_contain_text("2 actes")
    clerk.get_by_test_id("billing-bulk-status").select_option("transmitted")
    clerk.get_by_test_id("billing-bulk-apply").click()
    screenshot(clerk, "billing-bulk")
    assert serious_accessibility_violations(clerk) == []
    clerk.get_by_test_id("billing-transition-confirm").click()
    expect(clerk.locator("[data-testid=billing-row][data-status=transmitted]")).to_have_count(2)
    assert set(Act.objects.filter(code="TE2").values_list("status", flat=True)) == {"transmitted"}


def test_the_dpo_finds_a_patient_by_ins_filters_and_exports_the_journal(
    personas, server: Daphne, browser
):
    morel = Patient.objects.get(birth_name="MOREL")
    conversation, _ = conversation_actions.create_conversation(
        personas.cardiologist, users=[personas.dermatologist], title="Avis", patient=morel
    )
    conversation_actions.send_message(
        personas.cardiologist, conversation.pk, client_id="j1", body="ECG ?"
    )
    conversation_actions.record_history_read(personas.dermatologist, conversation, 1)
    hospital = personas.admin.professional.memberships.get(role="admin").organization
    dpo = make_professional(hospital, username="dpo.mans", role=Membership.Role.DPO)
    User.objects.filter(pk=dpo.pk).update(password=_demo_password())

    page = new_page(browser, server.base, "dpo.mans")
    expect(page).to_have_url(server.base + "/journal", timeout=10_000)
    page.get_by_test_id("journal-search-ins").fill(morel.ins)
    page.get_by_test_id("journal-search").click()
    page.get_by_test_id("journal-patient").click()
    expect(page.get_by_test_id("journal-patient-name")).to_contain_text("MOREL")
    rows = page.get_by_test_id("journal-row")
    expect(rows.first).to_be_visible()
    page.get_by_test_id("journal-filter-action").select_option("conversation.history_read")
    page.get_by_test_id("journal-filter-apply").click()
    expect(
        page.locator("[data-testid=journal-row]:not([data-verb='conversation.history_read'])")
    ).to_have_count(0)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Petit")
    screenshot(page, "journal")
    assert serious_accessibility_violations(page) == []
    href = page.get_by_test_id("journal-export-csv").get_attribute("href")
    assert href and "action=conversation.history_read" in href
    export = page.request.get(server.base + href)
    assert export.status == 200
    text = export.text()
    assert "conversation.history_read" in text and "Petit" in text
    assert "ECG ?" not in text  # never the message text


def _demo_password() -> str:
    """The demo accounts' password hash, so the new DPO signs in like them."""
    return User.objects.get(username="dr.martin").password
