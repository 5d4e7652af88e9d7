"""Two clinicians sign in in two browsers and talk in real time, at desktop and phone size."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from conversations import actions
from conversations.models import Message
from tests.e2e.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "bypass_csp": True, "locale": "fr-FR"}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "bypass_csp": True,  # only so the test can inject axe-core; the app itself needs no bypass
    "locale": "fr-FR",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def open_conversation_page(browser: Any, base: str, username: str, options: dict[str, Any]) -> Any:
    page = browser.new_context(**options).new_page()
    sign_in(page, base, username)
    return page


def test_two_clinicians_exchange_messages_see_receipts_attachments_and_survive_an_outage(
    personas, server: Daphne, browser, tmp_path
):
    actions.create_conversation(personas.gp, users=[personas.cardiologist])
    visitor = browser.new_context(**DESKTOP).new_page()
    visitor.goto(server.base + "/")
    visitor.get_by_test_id("login-form").wait_for()
    assert serious_accessibility_violations(visitor) == []
    screenshot(visitor, "desktop-sign-in")
    gp = open_conversation_page(browser, server.base, "dr.martin", DESKTOP)
    cardio = open_conversation_page(browser, server.base, "dr.bernard", DESKTOP)
    assert serious_accessibility_violations(gp) == []
    screenshot(gp, "desktop-list")

    for page in (gp, cardio):
        page.get_by_test_id("conversation-item").first.click()
        page.get_by_test_id("conversation-view").wait_for()
    gp.get_by_test_id("composer-input").fill("Bonjour, pouvez-vous regarder cet ECG ?")
    gp.get_by_test_id("composer-input").press("Control+Enter")
    incoming = cardio.get_by_test_id("message-item").filter(has_text="regarder cet ECG")
    expect(incoming).to_be_visible(timeout=10_000)
    # The cardiologist has the conversation open: the GP sees « Vu par ».
    expect(gp.get_by_test_id("read-receipt")).to_contain_text("Vu par", timeout=10_000)
    assert serious_accessibility_violations(cardio) == []
    screenshot(gp, "desktop-conversation")

    # An attachment, picked from disk.
    report = tmp_path / "ECG repos.pdf"
    report.write_bytes(PDF)
    gp.get_by_test_id("attachment-input").set_input_files(str(report))
    expect(gp.get_by_test_id("send-button")).to_be_enabled(timeout=10_000)
    gp.get_by_test_id("send-button").click()
    expect(cardio.get_by_test_id("attachment").filter(has_text="ECG repos.pdf")).to_be_visible(
        timeout=10_000
    )

    # The server goes away: the GP's message waits in the outbox, then goes out once.
    server.kill()
    expect(gp.get_by_test_id("connection-banner")).to_be_visible(timeout=15_000)
    gp.get_by_test_id("composer-input").fill("Envoyé pendant la coupure")
    gp.get_by_test_id("composer-input").press("Control+Enter")
    pending = gp.get_by_test_id("message-item").filter(has_text="pendant la coupure")
    expect(pending).to_have_attribute("data-status", re.compile("waiting|sending|failed"))
    screenshot(gp, "desktop-offline")
    Daphne(port=server.port).start()
    retry = gp.get_by_test_id("connection-banner").get_by_role("button")
    if retry.count():
        retry.first.click()
    expect(pending).to_have_attribute("data-status", re.compile("sent|seen"), timeout=30_000)
    expect(
        cardio.get_by_test_id("message-item").filter(has_text="pendant la coupure")
    ).to_have_count(1, timeout=30_000)
    assert Message.objects.filter(body="Envoyé pendant la coupure").count() == 1


def test_on_a_phone_the_list_and_the_conversation_are_separate_screens(
    personas, server: Daphne, browser
):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    actions.send_message(
        personas.cardiologist, conversation.pk, client_id="phone-0001", body="Bonjour"
    )
    page = open_conversation_page(browser, server.base, "dr.martin", PHONE)
    screenshot(page, "phone-list")
    assert serious_accessibility_violations(page) == []
    page.get_by_test_id("conversation-item").first.tap()
    page.get_by_test_id("conversation-view").wait_for()
    expect(page.get_by_test_id("conversation-list")).to_be_hidden()
    send = page.get_by_test_id("send-button")
    box = send.bounding_box()
    assert box and box["height"] >= 44 and box["width"] >= 44
    page.get_by_test_id("composer-input").fill("Réponse du téléphone")
    send.tap()
    expect(
        page.get_by_test_id("message-item").filter(has_text="Réponse du téléphone")
    ).to_be_visible()
    screenshot(page, "phone-conversation")
    assert serious_accessibility_violations(page) == []
    page.get_by_test_id("back-button").tap()
    expect(page.get_by_test_id("conversation-list")).to_be_visible()
