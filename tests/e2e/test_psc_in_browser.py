"""Pro Santé Connect in Chromium: « Se connecter avec Pro Santé Connect » → the local provider's
page → back signed in as Dr Martin; each attack ends on a French page, signed out; logout in
one tab sends every tab of the browser back to the sign-in page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, serious_accessibility_violations
from tests.servers import Daphne
from tests.support.psc import UNKNOWN_RPPS, PscProvider
from tests.support.psc_flow import rpps_of

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "bypass_csp": True, "locale": "fr-FR"}


@pytest.fixture
def psc_server(personas: Any, psc_provider: PscProvider) -> Iterator[Daphne]:
    server = Daphne()
    server.env.update(psc_provider.settings())
    with server as daphne:
        yield daphne


def through_psc(page: Any, base: str, rpps: str) -> None:
    page.goto(base + "/")
    button = page.get_by_test_id("psc-login")
    # A generous wait (not a timing check): on a loaded CI machine the first render can be slow.
    expect(button).to_have_text("Se connecter avec Pro Santé Connect", timeout=20_000)
    button.click()
    page.locator(f'button[data-rpps="{rpps}"]').click()


def signed_out(page: Any, base: str) -> bool:
    return bool(page.request.get(base + "/api/me").status == 401)


def test_psc_sign_in_brings_dr_martin_in_and_logout_closes_every_tab(
    psc_server: Daphne, psc_provider: PscProvider, browser: Any
):
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.goto(psc_server.base + "/")
    page.get_by_test_id("login-form").wait_for()
    # PSC comes first on the sign-in page.
    first = page.locator("[data-testid=psc-login], [data-testid=login-username]").first
    expect(first).to_have_attribute("data-testid", "psc-login")
    assert serious_accessibility_violations(page) == []
    screenshot(page, "psc-sign-in")
    through_psc(page, psc_server.base, rpps_of("dr.martin"))
    expect(page.get_by_test_id("topbar-user")).to_have_text("Dr Claire Martin", timeout=15_000)
    page.get_by_test_id("psc-exercices").click()
    expect(page.get_by_test_id("psc-exercices")).to_contain_text("Cabinet médical de la Gare")
    screenshot(page, "psc-signed-in")

    second_tab = context.new_page()
    with second_tab.expect_websocket() as opened:
        second_tab.goto(psc_server.base + "/")
    opened.value.wait_for_event("framereceived")  # its socket is up (the hello frame)
    expect(second_tab.get_by_test_id("topbar-user")).to_have_text("Dr Claire Martin")
    started = time.monotonic()
    page.get_by_test_id("logout-button").click()
    # The other tab learns it from its socket (close 4410 "logout") and goes back to sign-in.
    expect(second_tab.get_by_test_id("login-error")).to_have_text(
        "Vous avez été déconnecté.", timeout=5_000
    )
    print(f"other tab back at sign-in after {time.monotonic() - started:.2f} s")
    # This tab went through PSC's logout and came back to the sign-in page.
    expect(page.get_by_test_id("login-form")).to_be_visible(timeout=15_000)
    assert signed_out(page, psc_server.base)
    context.close()


@pytest.mark.parametrize(
    ("fault", "code", "words"),
    [
        ("wrong_acr", "psc_acr", "carte CPS ou l'application e-CPS"),
        ("bad_signature", "psc_signature", "signature"),
        ("wrong_nonce", "psc_nonce", "rejeu"),
        ("expired_id_token", "psc_expired", "expiré"),
        (None, "unknown_rpps", "Demandez à l'administrateur"),
    ],
)
def test_each_attack_ends_on_a_french_page_signed_out(
    psc_server: Daphne, psc_provider: PscProvider, browser: Any, fault: str | None, code, words
):
    page = browser.new_context(**DESKTOP).new_page()
    if fault:
        psc_provider.inject_fault(fault)
    rpps = UNKNOWN_RPPS if code == "unknown_rpps" else rpps_of("dr.martin")
    through_psc(page, psc_server.base, rpps)
    error = page.locator(f'[data-error-code="{code}"]')
    expect(error).to_be_visible(timeout=15_000)
    expect(error).to_contain_text(words)
    expect(error).to_contain_text("Vous n'êtes pas connecté.")
    assert signed_out(page, psc_server.base)
    page.get_by_role("link", name="Revenir à la page de connexion").click()
    expect(page.get_by_test_id("psc-login")).to_be_visible()


def test_a_replayed_callback_is_refused_and_signs_out(
    psc_server: Daphne, psc_provider: PscProvider, browser: Any
):
    page = browser.new_context(**DESKTOP).new_page()
    callbacks: list[str] = []
    page.on(
        "request",
        lambda request: (
            callbacks.append(request.url) if "/auth/psc/callback" in request.url else None
        ),
    )
    through_psc(page, psc_server.base, rpps_of("dr.martin"))
    expect(page.get_by_test_id("topbar-user")).to_have_text("Dr Claire Martin", timeout=15_000)
    page.goto(callbacks[0])
    expect(page.locator('[data-error-code="psc_state"]')).to_contain_text("déjà servi")
    assert signed_out(page, psc_server.base)
