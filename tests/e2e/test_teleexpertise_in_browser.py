"""A GP asks an opinion with the patient's consent, the cardiologist answers and files, the
billing clerk sees the two acts and exports them: the whole regulated path, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from teleexpertise.models import Act
from tests.e2e.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.integration.test_teleexpertise_factories import ensure_tariffs
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "bypass_csp": True, "locale": "fr-FR"}


def new_page(browser: Any, base: str, username: str) -> Any:
    page = browser.new_context(**DESKTOP).new_page()
    sign_in(page, base, username)
    return page


def test_request_with_consent_answer_file_and_bill(personas, server: Daphne, browser):
    ensure_tariffs()  # the flush between transactional tests removes the seeded tariffs
    gp = new_page(browser, server.base, "dr.martin")
    gp.goto(server.base + "/teleexpertise/nouvelle")
    gp.get_by_test_id("te-patient-search").fill("LEF")
    gp.get_by_test_id("te-patient-item").first.click()
    expert = gp.get_by_test_id("te-expert-item").filter(has_text="Bernard")
    expect(expert.get_by_test_id("te-quota")).to_contain_text("0/4")
    expert.get_by_test_id("te-expert-choose").click()
    gp.get_by_test_id("te-consent-oral").check()
    gp.get_by_test_id("te-consent-informed").check()
    gp.get_by_test_id("te-consent-next").click()
    gp.get_by_test_id("te-question").fill("Souffle systolique découvert ce jour : avis sur l'ECG ?")
    screenshot(gp, "te-new-request")
    assert serious_accessibility_violations(gp) == []
    gp.get_by_test_id("te-submit").click()
    expect(gp.get_by_test_id("te-status")).to_contain_text("Envoyée", timeout=10_000)

    cardio = new_page(browser, server.base, "dr.bernard")
    cardio.goto(server.base + "/teleexpertise")
    cardio.get_by_test_id("te-tab-received").click()
    cardio.get_by_test_id("te-request-item").first.click()
    cardio.get_by_test_id("te-accept").click()
    expect(cardio.get_by_test_id("te-status")).to_contain_text("Acceptée", timeout=10_000)
    cardio.get_by_test_id("te-report-context").fill("Patiente de 41 ans, souffle découvert.")
    cardio.get_by_test_id("te-report-answer").fill("ECG normal, souffle fonctionnel probable.")
    cardio.get_by_test_id("te-report-conclusion").fill("Pas d'urgence ; échographie si récidive.")
    cardio.get_by_test_id("te-report-save").click()
    expect(cardio.get_by_test_id("te-status")).to_contain_text("Répondue", timeout=10_000)
    cardio.get_by_test_id("te-file").click()
    cardio.get_by_test_id("te-filing-confirm").click()
    expect(cardio.get_by_test_id("te-status")).to_contain_text("Classée", timeout=15_000)
    expect(cardio.get_by_test_id("te-report-pdf")).to_be_visible()
    screenshot(cardio, "te-filed")
    # The requester's page follows in real time.
    expect(gp.get_by_test_id("te-status")).to_contain_text("Classée", timeout=15_000)
    assert sorted(Act.objects.values_list("code", flat=True)) == ["RQD", "TE2"]

    # The CH du Mans clerk bills the hospital's cardiologist (TE2); the GP's RQD belongs to her
    # practice's billing, so he does not see it.
    clerk = new_page(browser, server.base, "fact.moreau")
    expect(clerk).to_have_url(server.base + "/facturation", timeout=10_000)
    expect(clerk.get_by_test_id("billing-row")).to_have_count(1, timeout=10_000)
    expect(clerk.get_by_test_id("billing-row")).to_contain_text("TE2")
    screenshot(clerk, "billing")
    assert serious_accessibility_violations(clerk) == []
    csv_url = clerk.get_by_test_id("billing-export-csv").get_attribute("href")
    assert csv_url
    export = clerk.request.get(server.base + csv_url if csv_url.startswith("/") else csv_url)
    assert export.status == 200
    text = export.text()
    assert "TE2" in text and "23,00" in text and "RQD" not in text
    assert "Souffle" not in text and "ECG" not in text  # nothing clinical for billing
