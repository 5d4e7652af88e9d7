"""« Messagerie MSSanté » in Chromium: a nurse of the SSIAD reads the DAC's request in the team
box, previews its PDF in the page, answers it, and files it into a patient conversation; the GP
reads a hospital's discharge letter (XDM), sees the patient's complete identity and that it
matches her patient, and files it into the patient's record; the same screen at 360 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.accounts.models import Mailbox, Professional
from backend.audit.models import AuditEvent
from backend.mssante.inbox.actions import store_fetched
from backend.mssante.inbox.demo import SSIAD_MAILBOX
from backend.mssante.inbox.models import InboundEvent, InboundMessage
from backend.mssante.inbox.samples import pdf_bytes, plain_mail
from backend.mssante.mime import MimeAttachment
from backend.mssante.models import OutboundMessage, TrustedDomain
from backend.patients.models import Patient
from conversations.actions import create_conversation
from tests.e2e.conftest import click_after_scroll, screenshot, sign_in
from tests.servers import Daphne
from tests.support.inbox import store_discharge_letter

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "bypass_csp": True, "locale": "fr-FR"}
PHONE = {"viewport": {"width": 360, "height": 740}, "bypass_csp": True, "locale": "fr-FR"}
DAC = "marc.leroy@demo.mssante.fr"
HOSPITAL = "secretariat.medecine@ch-exemple.demo.mssante.fr"


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


@pytest.fixture
def discharge_letter(personas: Any) -> InboundMessage:
    """A hospital's discharge letter for Mme Lefebvre (XDM + PDF) in the GP's PER box."""
    return store_discharge_letter(personas.gp)


def test_the_gp_sees_the_xdm_identity_and_files_the_letter_in_the_patient_record(
    personas: Any, eager_server: Daphne, browser: Any, discharge_letter: InboundMessage
) -> None:
    patient = Patient.objects.get(birth_name="LEFEBVRE")
    page = browser.new_context(**DESKTOP).new_page()
    sign_in(page, eager_server.base, "dr.martin")
    page.goto(eager_server.base + "/mssante")
    page.get_by_test_id("inbox-box").filter(has_text="Martin").click()
    page.get_by_test_id("inbox-row").filter(has_text="Lettre de liaison").click()
    expect(page.get_by_test_id("inbox-subject")).to_contain_text("Lettre de liaison de sortie")
    # The patient's complete identity from the XDM (METADATA.XML and the CDA's recordTarget).
    expect(page.get_by_test_id("xdm-birth-name")).to_have_text("LEFEBVRE")
    expect(page.get_by_test_id("xdm-given-names")).to_have_text("Marie Louise")
    expect(page.get_by_test_id("xdm-first-name")).to_have_text("Marie")
    expect(page.get_by_test_id("xdm-sex")).to_have_text("Féminin")
    expect(page.get_by_test_id("xdm-birth-date")).to_have_text("14/03/1985")
    expect(page.get_by_test_id("xdm-birth-place")).to_have_text(patient.birth_place)
    expect(page.get_by_test_id("xdm-ins")).to_have_text(patient.ins)
    expect(page.get_by_test_id("xdm-ins-oid")).to_contain_text(patient.ins_oid)
    expect(page.get_by_test_id("inbox-ins-status")).to_have_text("INS valide")
    expect(page.get_by_test_id("xdm-match")).to_have_attribute("data-match", "matched")
    expect(page.get_by_test_id("xdm-known")).to_contain_text("LEFEBVRE")
    expect(page.get_by_test_id("xdm-coherent")).to_be_visible()
    screenshot(page, "inbox-xdm-identity")

    # The button lies below the PDF preview's frame: see click_after_scroll.
    click_after_scroll(page.get_by_test_id("inbox-file-patient"))
    expect(page.get_by_test_id("inbox-notice")).to_have_text(
        "Courrier classé dans le dossier du patient."
    )
    page.locator(".inbox-history summary").click()
    expect(page.locator(".inbox-history")).to_contain_text("Classé")
    # In the patient's record: the mail (its XDM and PDF) is linked to the patient, the filing
    # is in the mail's history and in the audit trail under the patient (the access journal).
    discharge_letter.refresh_from_db()
    assert discharge_letter.patient_id == patient.pk
    filed = InboundEvent.objects.get(message=discharge_letter, verb=InboundEvent.Verb.FILED)
    assert filed.actor == personas.gp and filed.detail == "dossier patient"
    audit = AuditEvent.objects.get(verb="mssante.inbox.filed", object_id=str(discharge_letter.pk))
    assert audit.actor_id == personas.gp.pk and audit.patient_id == patient.pk
    assert "LEFEBVRE" not in str(audit.data)  # never the patient's traits in the audit data

    # The identity block reads on a phone without scrolling sideways.
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, eager_server.base, "dr.martin")
    phone.goto(eager_server.base + "/mssante")
    phone.get_by_test_id("inbox-box").filter(has_text="Martin").click()
    phone.get_by_test_id("inbox-row").filter(has_text="Lettre de liaison").click()
    expect(phone.get_by_test_id("xdm-ins-oid")).to_be_visible()
    screenshot(phone, "inbox-xdm-identity-360")
    assert phone.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1") is False


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

    click_after_scroll(page.get_by_test_id("inbox-reply"))
    page.get_by_test_id("inbox-reply-text").fill("Premier passage lundi 8 h.")
    click_after_scroll(page.get_by_test_id("inbox-send"))
    expect(page.get_by_test_id("inbox-notice")).to_have_text("Réponse envoyée.")
    sent = OutboundMessage.objects.get(related_type="")
    assert f"In-Reply-To: {request_mail.message_id}" in bytes(sent.mime).decode()
    assert [r.address for r in sent.recipients.all()] == [DAC]

    page.get_by_test_id("inbox-conversation").select_option(str(conversation.pk))
    click_after_scroll(page.get_by_test_id("inbox-file"))
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
