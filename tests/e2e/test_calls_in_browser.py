"""Video calls in two browsers (Chromium's fake camera), and the camera and network check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from conversations import actions
from tests.e2e.conftest import screenshot, serious_accessibility_violations, sign_in
from tests.servers import Daphne

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
MEDIA = ["camera", "microphone"]
DESKTOP = {
    "viewport": {"width": 1280, "height": 800},
    "bypass_csp": True,  # only so the test can inject axe-core
    "locale": "fr-FR",
    "permissions": MEDIA,
}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "bypass_csp": True,
    "locale": "fr-FR",
    "permissions": MEDIA,
}

# A <video> is really playing when it has frames and its clock advances.
VIDEO_PLAYING = """async (selector) => {
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
        const v = document.querySelector(selector);
        if (v && v.videoWidth > 0 && v.readyState >= 2) {
            const t0 = v.currentTime;
            await new Promise(r => setTimeout(r, 700));
            if (v.currentTime > t0)
                return {width: v.videoWidth, height: v.videoHeight, t0, t1: v.currentTime};
        }
        await new Promise(r => setTimeout(r, 250));
    }
    const v = document.querySelector(selector);
    return {error: true, width: v ? v.videoWidth : -1, ready: v ? v.readyState : -1};
}"""


_contexts: list[Any] = []


@pytest.fixture(autouse=True)
def _close_contexts(server: Daphne) -> Iterator[None]:
    """Closes the browsers' pages (and their sockets) before the server stops (it depends on
    `server`, so it is torn down first)."""
    yield
    while _contexts:
        _contexts.pop().close()


def new_page(browser: Any, base: str, username: str, options: dict[str, Any]) -> Any:
    context = browser.new_context(**options)
    _contexts.append(context)
    page = context.new_page()
    sign_in(page, base, username)
    return page


def assert_playing(page: Any, testid: str) -> dict[str, Any]:
    result = page.evaluate(VIDEO_PLAYING, f'[data-testid="{testid}"]')
    assert not result.get("error"), f"{testid} not playing: {result}"
    assert result["width"] > 0 and result["t1"] > result["t0"]
    return result


def test_two_clinicians_make_a_video_call_and_hang_up(personas, server: Daphne, browser):
    actions.create_conversation(personas.gp, users=[personas.cardiologist])
    gp = new_page(browser, server.base, "dr.martin", DESKTOP)
    cardio = new_page(browser, server.base, "dr.bernard", PHONE)
    for page in (gp, cardio):
        page.get_by_test_id("conversation-item").first.click()
        page.get_by_test_id("conversation-view").wait_for()

    start = gp.get_by_test_id("call-start")
    expect(start).to_be_enabled(timeout=10_000)
    start.click()
    expect(gp.get_by_test_id("call-screen")).to_be_visible()
    expect(gp.get_by_test_id("call-outgoing")).to_contain_text("Appel en cours", timeout=10_000)

    incoming = cardio.get_by_test_id("call-incoming")
    expect(incoming).to_be_visible(timeout=10_000)
    expect(incoming).to_contain_text("vous appelle")
    screenshot(cardio, "call-phone-incoming")
    assert serious_accessibility_violations(cardio) == []
    accept = cardio.get_by_test_id("call-accept")
    box = accept.bounding_box()
    assert box and box["height"] >= 44
    accept.tap()
    expect(incoming).to_be_hidden()

    for page in (gp, cardio):
        expect(page.get_by_test_id("call-screen")).to_have_attribute(
            "data-phase", "active", timeout=10_000
        )
        expect(page.get_by_test_id("call-remote-video")).to_have_count(1, timeout=15_000)
    gp_remote = assert_playing(gp, "call-remote-video")
    cardio_remote = assert_playing(cardio, "call-remote-video")
    assert_playing(gp, "call-local-video")
    assert gp.evaluate("document.querySelector('[data-testid=call-local-video]').muted") is True
    expect(gp.get_by_test_id("call-duration")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    # the duration ticks, the quality hint comes from getStats()
    first = gp.get_by_test_id("call-duration").inner_text()
    gp.wait_for_timeout(1_500)
    assert gp.get_by_test_id("call-duration").inner_text() != first
    expect(gp.get_by_test_id("call-quality")).to_contain_text(
        re.compile("Bonne|Moyenne|Faible"), timeout=10_000
    )
    # controls: mute and camera toggle (aria-pressed), share screen on desktop only
    gp.get_by_test_id("call-mute").click()
    expect(gp.get_by_test_id("call-mute")).to_have_attribute("aria-pressed", "true")
    gp.get_by_test_id("call-mute").click()
    expect(gp.get_by_test_id("call-share-screen")).to_be_visible()
    expect(cardio.get_by_test_id("call-share-screen")).to_have_count(0)
    for testid in ("call-mute", "call-camera", "call-hangup"):
        b = cardio.get_by_test_id(testid).bounding_box()
        assert b and b["width"] >= 44 and b["height"] >= 44, testid
    screenshot(gp, "call-desktop-active")
    screenshot(cardio, "call-phone-active")
    assert serious_accessibility_violations(gp) == []
    print("remote videos", gp_remote, cardio_remote)

    gp.get_by_test_id("call-hangup").click()
    for page in (gp, cardio):
        expect(page.get_by_test_id("call-screen")).to_have_count(0, timeout=10_000)
    # tracks are released: no live camera track left in the page
    assert gp.evaluate("document.querySelectorAll('video').length") == 0
    for page in (gp, cardio):
        expect(page.get_by_test_id("message-item").filter(has_text="Appel vidéo")).to_be_visible(
            timeout=10_000
        )
    screenshot(gp, "call-desktop-after")


def test_declining_closes_the_caller_screen(personas, server: Daphne, browser):
    actions.create_conversation(personas.gp, users=[personas.cardiologist])
    gp = new_page(browser, server.base, "dr.martin", DESKTOP)
    cardio = new_page(browser, server.base, "dr.bernard", DESKTOP)
    for page in (gp, cardio):
        page.get_by_test_id("conversation-item").first.click()
        page.get_by_test_id("conversation-view").wait_for()
    expect(gp.get_by_test_id("call-start")).to_be_enabled(timeout=10_000)
    gp.get_by_test_id("call-start").click()
    expect(cardio.get_by_test_id("call-incoming")).to_be_visible(timeout=10_000)
    cardio.get_by_test_id("call-decline").click()
    expect(cardio.get_by_test_id("call-incoming")).to_have_count(0)
    expect(gp.get_by_test_id("call-screen")).to_have_count(0, timeout=10_000)
    expect(gp.get_by_test_id("call-notice")).to_contain_text("Appel refusé")
    expect(gp.get_by_test_id("message-item").filter(has_text="Appel refusé")).to_be_visible(
        timeout=10_000
    )


def test_network_check_shows_the_returned_video_and_the_round_trip(
    personas, server: Daphne, browser
):
    page = new_page(browser, server.base, "dr.martin", DESKTOP)
    page.get_by_test_id("nav-network-test").click()
    expect(page).to_have_url(server.base + "/test-reseau")
    page.get_by_test_id("echo-start").click()
    result = page.get_by_test_id("echo-result")
    expect(result).to_be_visible(timeout=30_000)
    expect(result).to_contain_text("Votre caméra et votre réseau fonctionnent")
    assert_playing(page, "echo-local-video")
    remote = assert_playing(page, "echo-remote-video")
    assert remote["width"] > 0
    rtt = page.get_by_test_id("echo-rtt").inner_text()
    assert re.search(r"\d+ ms", rtt), rtt
    screenshot(page, "network-check-desktop")
    assert serious_accessibility_violations(page) == []
    page.get_by_test_id("echo-stop").click()
