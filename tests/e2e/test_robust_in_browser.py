"""A chat that never leaves a clinician guessing, on a phone and a desktop: an unanswered call ends
as « Appel manqué » for both sides in the embedded mode (no worker, no Redis), calling someone who
is not connected says so at once, and a lost connection is shown, with messages waiting for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from conversations import actions
from tests.e2e.conftest import screenshot
from tests.e2e.embedded import EmbeddedServer
from tests.e2e.test_calls_in_browser import _contexts, new_page
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e]
MEDIA = ["camera", "microphone"]
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "fr-FR", "permissions": MEDIA}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "permissions": MEDIA,
}


@pytest.fixture
def embedded() -> Iterator[Daphne]:
    # 5 s: the shortest ring time the settings accept.
    with EmbeddedServer(CALL_RING_SECONDS="5") as server:
        yield server


@pytest.fixture(autouse=True)
def _close_contexts() -> Iterator[None]:
    yield
    while _contexts:
        _contexts.pop().close()


def open_conversation_with(page: Any, name: str) -> None:
    page.get_by_test_id("conversation-item").filter(has_text=name).click()
    page.get_by_test_id("conversation-view").wait_for()


def test_an_unanswered_call_ends_as_missed_for_both_in_embedded_mode(embedded: Daphne, browser):
    gp = new_page(browser, embedded.base, "dr.martin", DESKTOP)
    cardio = new_page(browser, embedded.base, "dr.bernard", PHONE)
    open_conversation_with(gp, "Bernard")
    cardio.get_by_test_id("conversation-item").first.wait_for()
    expect(gp.get_by_test_id("conversation-view")).to_contain_text("En ligne", timeout=10_000)

    start = gp.get_by_test_id("call-start")
    expect(start).to_be_enabled(timeout=10_000)
    start.click()
    expect(cardio.get_by_test_id("call-incoming")).to_be_visible(timeout=10_000)
    # Nobody answers: after the ring time both sides are told, and the call screen closes.
    expect(gp.get_by_test_id("call-notice")).to_contain_text(
        "Appel manqué : pas de réponse", timeout=20_000
    )
    expect(gp.get_by_test_id("call-screen")).to_have_count(0)
    expect(cardio.get_by_test_id("call-incoming")).to_have_count(0, timeout=10_000)
    expect(cardio.get_by_test_id("call-notice")).to_contain_text("Appel manqué")
    screenshot(cardio, "robust-phone-missed-call")
    open_conversation_with(cardio, "Martin")
    for page in (gp, cardio):
        expect(page.get_by_test_id("message-item").filter(has_text="Appel manqué")).to_be_visible(
            timeout=10_000
        )


def test_calling_someone_not_connected_says_so_and_offers_a_message(embedded: Daphne, browser):
    gp = new_page(browser, embedded.base, "dr.martin", PHONE)  # dr.petit is not signed in
    open_conversation_with(gp, "Petit")
    start = gp.get_by_test_id("call-start")
    expect(start).to_be_enabled(timeout=10_000)
    start.tap()
    notice = gp.get_by_test_id("call-notice")
    expect(notice).to_contain_text("n'est pas connecté", timeout=10_000)
    expect(gp.get_by_test_id("call-screen")).to_have_count(0)
    screenshot(gp, "robust-phone-callee-offline")
    gp.get_by_test_id("call-write-instead").tap()
    expect(notice).to_have_count(0)
    expect(gp.get_by_test_id("composer-input")).to_be_focused()
    expect(gp.get_by_test_id("message-item").filter(has_text="Appel manqué")).to_be_visible()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_is_shown_and_messages_wait_for_it(personas, server: Daphne, browser):
    actions.create_conversation(personas.gp, users=[personas.cardiologist])
    gp = new_page(browser, server.base, "dr.martin", DESKTOP)
    cardio = new_page(browser, server.base, "dr.bernard", PHONE)
    for page in (gp, cardio):
        open_conversation_with(page, "")
    header = gp.get_by_test_id("conversation-view").locator(".conv-header")
    expect(header).to_contain_text("En ligne", timeout=10_000)

    cardio.context.set_offline(True)
    banner = cardio.get_by_test_id("connection-banner")
    expect(banner).to_contain_text("Connexion perdue — nouvelle tentative…", timeout=30_000)
    expect(header).to_contain_text("Hors ligne", timeout=60_000)
    cardio.get_by_test_id("composer-input").fill("Je rappelle la famille dès que possible")
    cardio.get_by_test_id("send-button").tap()
    waiting = cardio.locator('[data-status="waiting"]')
    expect(waiting).to_contain_text("En attente de connexion")
    screenshot(cardio, "robust-phone-offline-waiting")

    cardio.context.set_offline(False)
    expect(banner).to_have_count(0, timeout=30_000)
    expect(waiting).to_have_count(0, timeout=10_000)
    expect(gp.get_by_test_id("message-item").filter(has_text="rappelle la famille")).to_be_visible(
        timeout=10_000
    )
    expect(header).to_contain_text("En ligne", timeout=10_000)
