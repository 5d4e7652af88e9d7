"""Issue 18 items 6 and 7 in Chromium: a conversation about a patient (attach by INS search, the
identity chip on a 360 px phone, « Écrire à ce patient » prefilled) and groups (someone added
sees the conversation live, a rename is seen live, pin / mute / archive, leaving)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from backend.patients.models import Patient
from conversations import actions
from tests.e2e.conftest import screenshot
from tests.e2e.test_calls_in_browser import DESKTOP, PHONE, _contexts, new_page
from tests.e2e.test_layout_widths import assert_no_overflow
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 780}}


@pytest.fixture(autouse=True)
def _close_contexts() -> Iterator[None]:
    yield
    while _contexts:
        _contexts.pop().close()


def test_attach_a_patient_by_ins_see_the_chip_and_write_to_them(personas, server: Daphne, browser):
    lefebvre = Patient.objects.get(birth_name="LEFEBVRE")
    actions.create_conversation(
        personas.gp, users=[personas.cardiologist], title="Avis cardio pour une patiente"
    )
    gp = new_page(browser, server.base, "dr.martin", SMALL_PHONE)
    gp.get_by_test_id("conversation-item").first.tap()
    gp.get_by_test_id("patient-attach").tap()
    gp.get_by_test_id("patient-search-input").fill(lefebvre.ins)
    result = gp.get_by_test_id("patient-result")
    expect(result).to_have_count(1, timeout=10_000)
    expect(result).to_contain_text("LEFEBVRE")
    expect(result).to_contain_text("qualifiée")
    result.tap()

    chip = gp.get_by_test_id("patient-chip")
    expect(chip.get_by_test_id("patient-chip-birth-name")).to_have_text("LEFEBVRE")
    expect(chip.get_by_test_id("patient-chip-first-name")).to_have_text("Marie")
    expect(chip.get_by_test_id("patient-chip-birth-date")).to_have_text("née le 14/03/1985")
    expect(chip.get_by_test_id("patient-chip-status")).to_have_text("qualifiée")
    expect(
        gp.get_by_test_id("message-item").filter(has_text="a rattaché la conversation")
    ).to_be_visible()
    box = chip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 361
    assert_no_overflow(gp, "conversation-with-patient-360")
    screenshot(gp, "patient-chip-360")

    # « Écrire à ce patient »: the write screen opens on her record, the INS is not typed again.
    chip.tap()
    gp.get_by_test_id("write-to-patient").tap()
    expect(gp.get_by_test_id("patient-record-address")).to_have_text(
        f"{lefebvre.ins}@patient.mssante.fr"
    )
    expect(gp.get_by_test_id("patient-ins-input")).to_have_count(0)
    expect(gp.get_by_test_id("patient-compose")).to_be_visible()
    assert "ins" not in gp.url.split("?", 1)[1].lower()  # the record's id, never the INS
    gp.get_by_test_id("patient-subject").fill("Votre rendez-vous de cardiologie")
    gp.get_by_test_id("patient-body").fill("Bonjour, le Dr Bernard vous recevra jeudi.")
    gp.get_by_test_id("patient-send").tap()
    expect(gp.get_by_test_id("patient-sent")).to_be_visible(timeout=10_000)
    assert_no_overflow(gp, "write-to-patient-360")


def test_group_add_live_rename_live_pin_mute_archive_and_leave(personas, server: Daphne, browser):
    actions.create_conversation(personas.gp, users=[personas.cardiologist], title="Staff")
    nurse = new_page(browser, server.base, "ide.durand", PHONE)
    expect(nurse.get_by_test_id("conversation-empty")).to_be_visible()
    gp = new_page(browser, server.base, "dr.martin", DESKTOP)
    gp.get_by_test_id("conversation-item").filter(has_text="Staff").click()

    # Add the nurse from the directory: she sees the conversation at once.
    gp.get_by_test_id("conversation-details-button").click()
    details = gp.get_by_test_id("conversation-details")
    details.get_by_test_id("recipient-input").fill("Durand")
    details.get_by_test_id("recipient-result").filter(has_text="Durand").first.click()
    details.get_by_test_id("members-add").click()
    expect(details.get_by_test_id("member")).to_have_count(3)
    expect(nurse.get_by_test_id("conversation-item").filter(has_text="Staff")).to_be_visible(
        timeout=10_000
    )

    # Rename, seen live by the nurse.
    details.get_by_test_id("group-title-input").fill("Staff du lundi")
    details.get_by_test_id("group-rename").click()
    expect(
        nurse.get_by_test_id("conversation-item").filter(has_text="Staff du lundi")
    ).to_be_visible(timeout=10_000)

    # Pin and mute (per user), then archive: « Archivées » holds it.
    details.get_by_test_id("pref-pin").click()
    expect(details.get_by_test_id("pref-pin")).to_have_attribute("aria-pressed", "true")
    details.get_by_test_id("pref-mute").click()
    expect(details.get_by_test_id("pref-mute")).to_have_attribute("aria-pressed", "true")
    item = gp.get_by_test_id("conversation-item").filter(has_text="Staff du lundi")
    expect(item.get_by_test_id("flag-pinned")).to_be_visible()
    expect(item.get_by_test_id("flag-muted")).to_be_visible()
    details.get_by_test_id("pref-archive").click()
    expect(details.get_by_test_id("pref-archive")).to_have_attribute("aria-pressed", "true")
    details.get_by_role("button", name="Fermer").click()
    expect(gp.get_by_test_id("conversation-item").filter(has_text="Staff du lundi")).to_have_count(
        0
    )
    gp.get_by_test_id("view-archived").click()
    expect(gp.get_by_test_id("conversation-item").filter(has_text="Staff du lundi")).to_be_visible()
    # The nurse's view is her own: nothing pinned, muted or archived for her.
    nurse_item = nurse.get_by_test_id("conversation-item").filter(has_text="Staff du lundi")
    expect(nurse_item.get_by_test_id("flag-pinned")).to_have_count(0)

    # The nurse leaves: the conversation is gone for her, the others read why.
    nurse_item.tap()
    nurse.get_by_test_id("conversation-details-button").tap()
    nurse.get_by_test_id("group-leave").tap()
    nurse.get_by_test_id("confirm-button").tap()
    expect(nurse.get_by_test_id("conversation-item")).to_have_count(0, timeout=10_000)
    gp.get_by_test_id("conversation-item").filter(has_text="Staff du lundi").click()
    expect(
        gp.get_by_test_id("message-item").filter(has_text="Julie Durand a quitté la conversation")
    ).to_be_visible(timeout=10_000)
    screenshot(gp, "group-desktop")
