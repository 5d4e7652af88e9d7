"""Every screen at every width a clinician uses (small phone to wide desktop): nothing scrolls
sideways, the phone header stays within 64 px, every navigation entry can be reached. The walk
runs with a teleexpertise conversation (patient, long titles) in the list, which is what used to
break the phone layout."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from conversations import actions
from tests.e2e.conftest import screenshot, sign_in
from tests.integration.test_teleexpertise_factories import ensure_tariffs, lefebvre, new_request
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WIDTHS = [360, 390, 768, 1024, 1440]
PHONE_WIDTHS = {360, 390}
HEADER_MAX_PX = 64

# Elements sticking out to the right of the viewport, unless an ancestor clips them (a list that
# scrolls inside itself, an ellipsis): those are what makes a page scroll sideways.
OVERFLOWING = """() => {
    const vw = document.documentElement.clientWidth;
    const found = [];
    if (document.documentElement.scrollWidth > vw + 1)
        found.push(`page ${document.documentElement.scrollWidth}px > ${vw}px`);
    for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || r.right <= vw + 1) continue;
        let clipped = false;
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const s = getComputedStyle(p);
            if (s.overflowX !== 'visible' && p.getBoundingClientRect().right <= vw + 1) {
                clipped = true;
                break;
            }
        }
        if (!clipped) {
            const id = el.dataset.testid ? `[${el.dataset.testid}]` : '';
            const cls = typeof el.className === 'string' && el.className
                ? '.' + el.className.split(' ').join('.') : '';
            const name = el.tagName.toLowerCase() + id + cls;
            found.push(`${name} right=${Math.round(r.right)}px`);
        }
    }
    return found.slice(0, 8);
}"""


# What a screen shows while its data is on the way (App, lists, pages, dialogs).
LOADING = re.compile(r"^Chargement(…| des )")


def assert_no_overflow(page: Any, where: str) -> None:
    # The screen has its data: no placeholder left (networkidle never settles reliably with a
    # WebSocket open, and says nothing about what is on screen).
    expect(page.get_by_text(LOADING)).to_have_count(0, timeout=15_000)
    found = page.evaluate(OVERFLOWING)
    if found:
        screenshot(page, f"overflow-{where}")
    assert found == [], f"{where}: {found}"


def assert_header_and_navigation(page: Any, width: int, where: str) -> None:
    header = page.get_by_test_id("topbar").bounding_box()
    assert header is not None
    if width in PHONE_WIDTHS:
        assert header["height"] <= HEADER_MAX_PX, f"{where}: header {header['height']}px"
    links = page.get_by_test_id("main-nav").get_by_role("link")
    for index in range(links.count()):
        link = links.nth(index)
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (
            f"{where}: {link.inner_text()} out of reach"
        )


def walk(browser: Any, base: str, username: str, paths: list[str], width: int) -> Any:
    phone = width in PHONE_WIDTHS
    context = browser.new_context(
        viewport={"width": width, "height": 800 if not phone else 780},
        is_mobile=phone,
        has_touch=phone,
        locale="fr-FR",
    )
    page = context.new_page()
    sign_in(page, base, username)
    for path in paths:
        page.goto(base + path)
        page.get_by_test_id("topbar").wait_for()
        where = f"{username}{path.replace('/', '_')}-{width}"
        assert_no_overflow(page, where)
        assert_header_and_navigation(page, width, where)
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_no_screen_scrolls_sideways(personas, server: Daphne, browser, width: int):
    ensure_tariffs()
    request = new_request(
        personas.gp,
        personas.cardiologist,
        lefebvre(),
        question="Souffle systolique éjectionnel 2/6 découvert ce jour chez une patiente "
        "asymptomatique : avis sur l'ECG joint et sur l'indication d'une échographie ?",
    )
    group, _ = actions.create_conversation(
        personas.gp,
        users=[personas.cardiologist, personas.dermatologist, personas.nurse],
        title="Réunion de concertation pluriprofessionnelle du secteur nord — "
        "coordination des sorties d'hospitalisation",
    )
    actions.send_message(
        personas.cardiologist,
        group.pk,
        client_id=str(uuid.uuid4()),
        body="Unmotsanscoupurequidépasselalargeurdutéléphonesansespacespourvoir" * 3,
    )
    conversation = request.conversation_id
    clinician_paths = [
        "/",
        f"/conversations/{conversation}",
        f"/conversations/{group.pk}",
        "/teleexpertise",
        "/teleexpertise/nouvelle",
        f"/teleexpertise/{request.pk}",
        "/patient/ecrire",
        "/annuaire",
        "/test-reseau",
    ]
    gp = walk(browser, server.base, "dr.martin", clinician_paths, width)
    gp.goto(server.base + "/")
    gp.get_by_test_id("new-conversation-button").click()
    expect(gp.get_by_test_id("new-conversation-dialog")).to_be_visible()
    assert_no_overflow(gp, f"new-conversation-{width}")
    gp.goto(server.base + f"/conversations/{conversation}")
    title = gp.get_by_test_id("conversation-title")
    expect(title).to_be_visible()
    for testid in ("call-start", "back-button" if width in PHONE_WIDTHS else "conversation-title"):
        expect(gp.get_by_test_id(testid)).to_be_in_viewport()
    screenshot(gp, f"layout-teleexpertise-conversation-{width}")
    gp.context.close()

    expert = walk(browser, server.base, "dr.bernard", ["/teleexpertise/profil"], width)
    expert.context.close()
    clerk = walk(browser, server.base, "fact.moreau", ["/facturation", "/annuaire"], width)
    clerk.context.close()

    visitor = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR")
    page = visitor.new_page()
    page.goto(server.base + "/")
    page.get_by_test_id("login-form").wait_for()
    assert_no_overflow(page, f"sign-in-{width}")
    visitor.close()
