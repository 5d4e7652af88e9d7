"""Forwarding a chat message by MSSanté in the browser: to a directory address, the dialog
closes, the conversation shows the system message « … a transféré le message … par MSSanté »
and the outbound mail exists for that address (queued in the server's default transport; its
delivery is the MSSanté tests' business)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from backend.mssante.models import OutboundMessage
from conversations import actions
from tests.e2e.conftest import screenshot
from tests.e2e.test_messages_in_browser import DESKTOP, open_conversation, signed_in
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
NURSE_ADDRESS = "julie.durand@demo.mssante.fr"  # in the demo directory, inside the trust space


def test_a_message_forwarded_by_mssante_says_so_and_leaves_an_outbound_mail(
    personas, server: Daphne, browser
):
    conversation, _ = actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title="Avis diurétique"
    )
    original = actions.send_message(
        personas.cardiologist,
        conversation.pk,
        client_id="e2e-forward-mssante-1",
        body="Avis : majorer le diurétique, contrôle de la kaliémie à J3.",
    ).message
    gp = signed_in(browser, server.base, "dr.martin", DESKTOP)
    open_conversation(gp, "Avis diurétique")

    item = gp.locator(f'[data-testid="message-item"][data-seq="{original.seq}"]')
    item.hover()
    item.get_by_test_id("message-forward").click()
    dialog = gp.get_by_test_id("forward-dialog")
    dialog.get_by_test_id("forward-mssante-input").fill(NURSE_ADDRESS)
    dialog.get_by_test_id("forward-mssante-submit").click()
    expect(dialog).to_have_count(0, timeout=15_000)

    said = gp.get_by_test_id("message-item").filter(has_text="par MSSanté")
    expect(said).to_contain_text(
        f"a transféré le message n° {original.seq} par MSSanté à {NURSE_ADDRESS}", timeout=10_000
    )
    screenshot(gp, "desktop-forward-mssante")
    outbound = OutboundMessage.objects.get()
    assert [r.address for r in outbound.recipients.all()] == [NURSE_ADDRESS]
    assert "majorer le diur" in bytes(outbound.mime).decode("utf-8", "replace")
