"""Messages in the browser (issue 18, item 8): reply with a quote that leads to the original,
forward to another conversation (« Transféré »), safe clickable links, and an urgent message
that two recipients acknowledge while its sender watches."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from conversations import actions
from conversations.models import Message
from tests.e2e.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.e2e.test_chat_in_browser import DESKTOP, PHONE
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def signed_in(browser: Any, base: str, username: str, options: dict[str, Any]) -> Any:
    page = browser.new_context(**options).new_page()
    sign_in(page, base, username)
    return page


def open_conversation(page: Any, title: str) -> None:
    page.get_by_test_id("conversation-item").filter(has_text=title).first.click()
    page.get_by_test_id("conversation-view").wait_for()


def test_reply_with_a_quote_forward_and_safe_links(personas, server: Daphne, browser):
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title="Avis ECG"
    )
    actions.create_conversation(personas.gp, users=[personas.nurse], title="Suivi à domicile")
    original = actions.send_message(
        personas.cardiologist,
        conversation.pk,
        client_id="e2e-original-1",
        body=(
            "Recommandation : https://www.has-sante.fr/reco. Pas javascript:alert(1) ni <b>gras</b>"
        ),
    ).message
    gp = signed_in(browser, server.base, "dr.martin", DESKTOP)
    cardio = signed_in(browser, server.base, "dr.bernard", DESKTOP)
    for page in (gp, cardio):
        open_conversation(page, "Avis ECG")

    # The link: clickable, http(s) only, opening a new tab without a handle on this one.
    item = gp.locator(f'[data-testid="message-item"][data-seq="{original.seq}"]')
    link = item.get_by_test_id("message-link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "https://www.has-sante.fr/reco")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")
    expect(item).to_contain_text("javascript:alert(1) ni <b>gras</b>")  # text, not markup
    assert item.locator("b").count() == 0

    # Reply: the quote shows the original; pressing it on the other side shows the original.
    item.hover()
    item.get_by_test_id("message-reply").click()
    expect(gp.get_by_test_id("composer-reply")).to_contain_text("Recommandation")
    gp.get_by_test_id("composer-input").fill("Merci, je l'applique.")
    gp.get_by_test_id("composer-input").press("Control+Enter")
    expect(gp.get_by_test_id("composer-reply")).to_have_count(0)
    reply = cardio.get_by_test_id("message-item").filter(has_text="je l'applique")
    expect(reply.get_by_test_id("message-quote")).to_contain_text("Recommandation", timeout=10_000)
    reply.get_by_test_id("message-quote").click()
    expect(
        cardio.locator(f'.messages [data-testid="message-item"][data-seq="{original.seq}"]')
    ).to_have_attribute("data-jumped", "true", timeout=10_000)
    assert Message.objects.get(body="Merci, je l'applique.").reply_to_id == original.pk
    screenshot(cardio, "desktop-reply-quote")

    # Forward to another conversation of the GP's: marked « Transféré » there.
    item.hover()
    item.get_by_test_id("message-forward").click()
    dialog = gp.get_by_test_id("forward-dialog")
    dialog.get_by_test_id("forward-target").select_option(label="Suivi à domicile")
    assert serious_accessibility_violations(gp) == []
    dialog.get_by_test_id("forward-submit").click()
    expect(dialog).to_have_count(0, timeout=10_000)
    open_conversation(gp, "Suivi à domicile")
    copy = gp.get_by_test_id("message-item").filter(has_text="Recommandation")
    expect(copy.get_by_test_id("message-forwarded")).to_have_text("Transféré", timeout=10_000)


def test_an_urgent_message_acknowledged_by_two_recipients_with_the_sender_seeing_both(
    personas, server: Daphne, browser
):
    actions.create_conversation(
        personas.gp, users=[personas.cardiologist, personas.nurse], title="Garde du week-end"
    )
    gp = signed_in(browser, server.base, "dr.martin", DESKTOP)
    cardio = signed_in(browser, server.base, "dr.bernard", DESKTOP)
    nurse = signed_in(browser, server.base, "ide.durand", PHONE)
    for page in (gp, cardio):
        open_conversation(page, "Garde du week-end")
    nurse.get_by_test_id("conversation-item").filter(has_text="Garde du week-end").first.tap()
    nurse.get_by_test_id("conversation-view").wait_for()

    gp.get_by_test_id("composer-urgent").check()
    gp.get_by_test_id("composer-input").fill("Mme L. instable : rappelez-moi dès que possible")
    gp.get_by_test_id("composer-input").press("Control+Enter")
    mine = gp.get_by_test_id("message-item").filter(has_text="instable")
    expect(mine.get_by_test_id("message-urgent")).to_be_visible(timeout=10_000)
    expect(mine.get_by_test_id("urgent-acks")).to_contain_text("Pas encore pris en compte")
    # The count comes from the server (team mailbox members would be counted too).
    expect(mine.get_by_test_id("urgent-bar")).to_contain_text("en attente : 2")

    for page, name in ((cardio, "Paul Bernard"), (nurse, "Julie Durand")):
        theirs = page.get_by_test_id("message-item").filter(has_text="instable")
        button = theirs.get_by_test_id("urgent-acknowledge")
        expect(button).to_be_visible(timeout=10_000)
        button.click()
        expect(theirs.get_by_test_id("urgent-acked")).to_contain_text("Pris en compte à")
        # The sender sees each acknowledgement arrive, with its time.
        expect(mine.get_by_test_id("urgent-acks")).to_contain_text(name, timeout=10_000)
    expect(mine.get_by_test_id("urgent-acks")).to_contain_text("Pris en compte par Dr Paul Bernard")
    assert "en attente" not in mine.inner_text()
    screenshot(gp, "desktop-urgent-acknowledged")
    screenshot(nurse, "phone-urgent-acknowledged")
    message = Message.objects.get(body__startswith="Mme L. instable")
    assert message.urgent and message.acknowledgements.count() == 2
