"""« Messagerie MSSanté » in Chromium: a nurse of the SSIAD reads the DAC's request in the team
box, previews its PDF in the page, answers it, and files it into a patient conversation; the
same screen at 360 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.accounts.models import Mailbox, Professional
from backend.mssante.inbox.actions import store_fetched
from backend.mssante.inbox.demo import SSIAD_MAILBOX
from backend.mssante.inbox.models import InboundMessage
from backend.mssante.inbox.samples import pdf_bytes, plain_mail
from backend.mssante.mime import MimeAttachment
from backend.mssante.models import OutboundMessage, TrustedDomain
from conversations.actions import create_conversation
from tests.e2e.conftest import screenshot, sign_in
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "bypass_csp": True, "locale": "fr-FR"}
PHONE = {"viewport": {"width": 360, "height": 740}, "bypass_csp": True, "locale": "fr-FR"}
DAC = "marc.leroy@demo.mssante.fr"


@pytest.fixture
def eager_server(personas: Any, tmp_path: Path) -> Iterator[Daphne]:
    with Daphne(CELERY_TASK_ALWAYS_EAGER="1", PLATFORM_VAR_DIR=str(tmp_path)) as daphne:
        yield daphne


@pytest.fixture
def request_mail(personas: Any) -> InboundMessage:
    TrustedDomain.objects.get_or_create(
        domain="demo.mssante.fr", defaults={"imported_at": timezone.now()}
    )
    nurse = Professional.objects.get(user=personas.nurse)
    box = Mailbox.objects.create(
        address=SSIAD_MAILBOX[0],
        kind=Mailbox.Kind.ORGANIZATIONAL,
        organization=nurse.memberships.get().organization,
        display_name=SSIAD_MAILBOX[1],
        responsible=nurse,
    )
    box.members.add(nurse)
    pdf = MimeAttachment("prescription.pdf", "application/pdf", pdf_bytes("Prescription"))
    raw = plain_mail(DAC, box.address, "Demande d'intervention SSIAD",
                     "Passages quotidiens à partir de lundi ?", attachments=[pdf])  # fmt: skip
    mail = store_fetched(box, raw)
    assert mail is not None
    return mail


def _open_team_box(page: Any, base: str) -> None:
    page.goto(base + "/mssante")
    page.get_by_test_id("inbox-box").filter(has_text="SSIAD").click()
    page.get_by_test_id("inbox-row").first.click()


def test_a_nurse_reads_previews_answers_and_files_a_team_mail(
    personas: Any, eager_server: Daphne, browser: Any, request_mail: InboundMessage
) -> None:
    conversation, _ = create_conversation(
        personas.nurse, users=[personas.coordinator], title="Mme Blanc — passages"
    )
    page = browser.new_context(**DESKTOP).new_page()
    sign_in(page, eager_server.base, "ide.durand")
    _open_team_box(page, eager_server.base)
    expect(page.get_by_test_id("inbox-subject")).to_have_text("Demande d'intervention SSIAD")
    expect(page.get_by_test_id("inbox-text")).to_contain_text("Passages quotidiens")
    preview = page.get_by_test_id("inbox-pdf")
    expect(preview).to_be_visible()
    pdf = page.request.get(eager_server.base + str(preview.get_attribute("src")))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body()[:4] == b"%PDF"
    screenshot(page, "inbox-1440")

    page.get_by_test_id("inbox-reply").click()
    page.get_by_test_id("inbox-reply-text").fill("Premier passage lundi 8 h.")
    page.get_by_test_id("inbox-send").click()
    expect(page.get_by_test_id("inbox-notice")).to_have_text("Réponse envoyée.")
    sent = OutboundMessage.objects.get(related_type="")
    assert f"In-Reply-To: {request_mail.message_id}" in bytes(sent.mime).decode()
    assert [r.address for r in sent.recipients.all()] == [DAC]

    page.get_by_test_id("inbox-conversation").select_option(str(conversation.pk))
    page.get_by_test_id("inbox-file").click()
    expect(page.get_by_test_id("inbox-notice")).to_have_text("Courrier ajouté à la conversation.")
    filed = conversation.messages.get()
    assert [a.name for a in filed.attachments.all()] == ["prescription.pdf"]


def test_the_inbox_reads_on_a_phone(
    personas: Any, eager_server: Daphne, browser: Any, request_mail: InboundMessage
) -> None:
    page = browser.new_context(**PHONE).new_page()
    sign_in(page, eager_server.base, "ide.durand")
    _open_team_box(page, eager_server.base)
    expect(page.get_by_test_id("inbox-subject")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    screenshot(page, "inbox-360")
    assert overflow is False
