"""A conversation with a team mailbox, in two browsers: the secretary (a member of the team, on a
phone) reads, the GP's « Vu par » names her at once; her reply shows her role and the team."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from conversations import actions
from tests.e2e.conftest import screenshot
from tests.e2e.test_calls_in_browser import DESKTOP, PHONE, _contexts, new_page
from tests.servers import Daphne
from tests.support.mssante import org_mailbox

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _close_contexts() -> Iterator[None]:
    yield
    while _contexts:
        _contexts.pop().close()


def test_team_member_reading_is_seen_live_and_her_reply_names_the_team(
    personas, server: Daphne, browser
):
    team = org_mailbox()
    actions.create_conversation(personas.gp, users=[], mailboxes=[team])
    gp = new_page(browser, server.base, "dr.martin", DESKTOP)
    gp.get_by_test_id("conversation-item").first.click()
    gp.get_by_test_id("composer-input").fill("Pouvez-vous avancer le rendez-vous de Mme L. ?")
    gp.get_by_test_id("composer-input").press("Control+Enter")
    expect(
        gp.get_by_test_id("message-item").filter(has_text="avancer le rendez-vous")
    ).to_be_visible()

    secretary = new_page(browser, server.base, "sec.cardio", PHONE)
    secretary.get_by_test_id("conversation-item").first.tap()
    expect(
        secretary.get_by_test_id("message-item").filter(has_text="avancer le rendez-vous")
    ).to_be_visible(timeout=10_000)
    expect(gp.get_by_test_id("read-receipt")).to_contain_text("Roux", timeout=10_000)

    secretary.get_by_test_id("composer-input").fill("C'est fait : jeudi 9 h.")
    secretary.get_by_test_id("send-button").tap()
    reply = gp.get_by_test_id("message-item").filter(has_text="jeudi 9 h")
    expect(reply).to_be_visible(timeout=10_000)
    expect(reply.get_by_test_id("message-team")).to_contain_text(
        f"Secrétariat, {team.display_name or team.address}"
    )
    screenshot(gp, "team-mailbox-desktop")
    screenshot(secretary, "team-mailbox-phone")
