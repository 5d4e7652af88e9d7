"""Message search in Chromium: a clinician types « echographie » without accents (Ctrl+K from
anywhere, or inside a conversation), sees « Échographie » highlighted, and jumps to the message,
older pages loaded on the way; at 1440 px and 360 px, on PostgreSQL and in the embedded mode."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from conversations import actions
from tests.e2e.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.e2e.embedded import EmbeddedServer
from tests.e2e.test_layout_widths import assert_no_overflow
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e]
WIDE = {"viewport": {"width": 1440, "height": 900}, "bypass_csp": True, "locale": "fr-FR"}
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "bypass_csp": True,  # only so the test can inject axe-core
    "locale": "fr-FR",
}
OLD_MESSAGE = "Échographie cardiaque à prévoir avant la consultation."
# More than one history page (50) after it: the jump has to load older messages.
FOLLOWING = 60


def _page(browser: Any, base: str, options: dict[str, Any]) -> Any:
    page = browser.new_context(**options).new_page()
    sign_in(page, base, "dr.martin")
    page.get_by_test_id("conversation-item").first.wait_for()
    return page


def _jumped_to_the_old_message(page: Any) -> None:
    target = page.locator('[data-testid="message-item"][data-jumped="true"]')
    expect(target).to_contain_text("Échographie cardiaque", timeout=15_000)
    expect(target).to_be_in_viewport()


def _search_everywhere_then_inside(browser: Any, base: str, options: dict[str, Any], name: str):
    page = _page(browser, base, options)
    page.keyboard.press("Control+k")
    search = page.get_by_test_id("conversation-search")
    expect(search).to_be_focused()
    search.fill("echographie")
    hit = page.get_by_test_id("message-search-hit")
    expect(hit).to_have_count(1, timeout=10_000)
    expect(hit.locator("mark")).to_have_text("Échographie")
    assert serious_accessibility_violations(page) == []
    assert_no_overflow(page, f"search-{name}")
    screenshot(page, f"search-{name}-results")
    hit.click()
    _jumped_to_the_old_message(page)
    assert_no_overflow(page, f"search-{name}-jump")
    screenshot(page, f"search-{name}-jump")

    # Inside the conversation: capitals, no accent, a word prefix.
    page.get_by_test_id("conversation-search-button").click()
    panel = page.get_by_test_id("conversation-search-panel")
    inside = panel.get_by_test_id("conversation-message-search")
    expect(inside).to_be_focused()
    inside.fill("SUIVI 7")
    expect(panel.get_by_test_id("message-search-hit").first).to_be_visible(timeout=10_000)
    inside.fill("ECHO")
    hits = panel.get_by_test_id("message-search-hit")
    # « SUIVI 7 » had one hit too: wait for the new answer, not the count of the old one.
    expect(hits.first).to_contain_text("chographie", timeout=10_000)
    expect(hits).to_have_count(1, timeout=10_000)
    expect(hits.locator("mark")).to_have_text("Échographie")
    assert_no_overflow(page, f"search-{name}-inside")
    hits.click()
    expect(panel).to_have_count(0)
    _jumped_to_the_old_message(page)

    page.get_by_test_id("conversation-search-button").click()
    page.get_by_test_id("conversation-message-search").fill("zona")
    expect(page.get_by_test_id("message-search-empty")).to_have_text(
        "Aucun message ne contient « zona » dans cette conversation.", timeout=10_000
    )
    page.context.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_search_with_accents_jumps_to_the_message_on_postgres(personas, server: Daphne, browser):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    actions.send_message(personas.cardiologist, conversation.pk, client_id="old", body=OLD_MESSAGE)
    for index in range(FOLLOWING):
        actions.send_message(
            personas.gp, conversation.pk, client_id=f"f{index}", body=f"Suivi {index} : rien."
        )
    for options, name in ((WIDE, "1440"), (PHONE, "360")):
        _search_everywhere_then_inside(browser, server.base, options, name)


_EMBEDDED_MESSAGES = f"""
from backend.accounts.models import User
from conversations import actions
from conversations.models import Conversation
martin, bernard = (User.objects.get(username=u) for u in ("dr.martin", "dr.bernard"))
conversation = Conversation.objects.filter(participants__user=bernard).first()
actions.send_message(bernard, conversation.pk, client_id="old", body={OLD_MESSAGE!r})
for index in range({FOLLOWING}):
    actions.send_message(martin, conversation.pk, client_id=f"f{{index}}", body=f"Suivi {{index}}")
"""


@pytest.fixture
def embedded() -> Iterator[EmbeddedServer]:
    server = EmbeddedServer()
    with server:
        # Written through the actions into SQLite: the FTS5 triggers index them.
        server.manage("shell", "-c", _EMBEDDED_MESSAGES)
        yield server


def test_search_with_accents_in_the_embedded_mode(embedded: Daphne, browser):
    _search_everywhere_then_inside(browser, embedded.base, WIDE, "embedded")
