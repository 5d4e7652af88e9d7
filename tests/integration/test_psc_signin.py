"""Sign-in with Pro Santé Connect against a real OpenID provider on loopback (tests/psc/):
linking by RPPS, the exercices, and every attack ending on a French page, signed out."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from backend.accounts.models import Membership, Professional, User
from backend.audit.models import AuditEvent
from tests.support.psc import UNKNOWN_RPPS
from tests.support.psc_flow import callback_path, psc_sign_in, rpps_of

pytestmark = pytest.mark.django_db


def signed_in_as(browser: Client) -> str | None:
    me = browser.get("/api/me")
    return me.json()["username"] if me.status_code == 200 else None


def assert_error_page(answer, status: int, code: str) -> str:
    assert answer.status_code == status, answer.content[:500]
    page = html.unescape(answer.content.decode())
    assert f'data-error-code="{code}"' in page
    assert 'lang="fr"' in page and "Vous n'êtes pas connecté." in page
    return page


def test_a_known_professional_signs_in_and_is_linked_once(psc, personas):
    browser = Client()
    answer = psc_sign_in(psc, browser, rpps_of("dr.martin"))
    assert answer.status_code == 302 and answer["Location"] == "/"
    assert signed_in_as(browser) == "dr.martin"
    professional = Professional.objects.get(user=personas.gp)
    linked_at = professional.psc_linked_at
    assert linked_at is not None
    assert (
        AuditEvent.objects.filter(verb="auth.psc_linked", object_id=str(professional.pk)).count()
        == 1
    )
    login = AuditEvent.objects.filter(verb="auth.login", actor=personas.gp).latest("at")
    assert login.data == {"method": "psc"}
    # A second sign-in does not link again.
    psc_sign_in(psc, Client(), rpps_of("dr.martin"))
    professional.refresh_from_db()
    assert professional.psc_linked_at == linked_at
    assert AuditEvent.objects.filter(verb="auth.psc_linked").count() == 1


def test_the_exercices_are_shown_to_the_professional(psc, personas):
    browser = Client()
    psc_sign_in(psc, browser, rpps_of("dr.martin"))
    me = browser.get("/api/me").json()
    exercice = me["psc"]["exercices"][0]
    assert exercice["profession_code"] == "10"
    assert [s["finess"] for s in exercice["sites"]] == [
        personas.gp.professional.memberships.get().organization.finess
    ]
    assert me["psc"]["mismatches"] == []


def test_a_mismatch_with_the_memberships_is_reported_to_the_organisation(psc, personas):
    browser = Client()
    psc_sign_in(psc, browser, rpps_of("dr.petit"))
    assert signed_in_as(browser) == "dr.petit"
    report = AuditEvent.objects.get(verb="accounts.psc_mismatch")
    assert report.organization is not None and report.organization.name == "EHPAD Les Tilleuls"
    assert report.data["kind"] == "psc_site_without_membership"
    assert browser.get("/api/me").json()["psc"]["mismatches"] == [report.organization.finess]
    # Reported once, not at every sign-in.
    psc_sign_in(psc, Client(), rpps_of("dr.petit"))
    assert AuditEvent.objects.filter(verb="accounts.psc_mismatch").count() == 1


def test_an_unknown_rpps_gets_a_page_saying_who_to_ask_and_no_account(psc, personas):
    users = User.objects.count()
    browser = Client()
    page = assert_error_page(psc_sign_in(psc, browser, UNKNOWN_RPPS), 403, "unknown_rpps")
    assert "administrateur" in page and "aucun compte n'est créé" in page
    assert User.objects.count() == users
    assert signed_in_as(browser) is None
    failure = AuditEvent.objects.get(verb="auth.psc_failed")
    assert failure.data == {"reason": "unknown_rpps", "rpps": UNKNOWN_RPPS}


def test_a_deactivated_account_cannot_sign_in_with_psc(psc, personas):
    personas.gp.is_active = False
    personas.gp.save()
    browser = Client()
    assert_error_page(psc_sign_in(psc, browser, rpps_of("dr.martin")), 403, "account_disabled")
    assert signed_in_as(browser) is None


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ("wrong_acr", 403, "psc_acr"),
        ("bad_signature", 400, "psc_signature"),
        ("expired_id_token", 400, "psc_expired"),
        ("wrong_nonce", 400, "psc_nonce"),
    ],
)
def test_a_tampered_id_token_ends_on_a_french_error_signed_out(psc, personas, fault, status, code):
    browser = Client()
    assert_error_page(psc_sign_in(psc, browser, rpps_of("dr.martin"), fault), status, code)
    assert signed_in_as(browser) is None
    assert AuditEvent.objects.filter(verb="auth.psc_failed", data__reason=code).exists()
    assert not AuditEvent.objects.filter(verb="auth.login").exists()


def test_a_replayed_state_is_refused_and_signs_the_browser_out(psc, personas):
    browser = Client()
    path = callback_path(psc, browser, rpps_of("dr.martin"))
    assert browser.get(path).status_code == 302
    assert signed_in_as(browser) == "dr.martin"
    assert_error_page(browser.get(path), 400, "psc_state")
    assert signed_in_as(browser) is None


def test_a_callback_from_another_browser_is_refused(psc, personas):
    path = callback_path(psc, Client(), rpps_of("dr.martin"))
    thief = Client()
    assert_error_page(thief.get(path), 400, "psc_state")
    assert signed_in_as(thief) is None


def test_a_cancelled_sign_in_says_so(psc, personas):
    browser = Client()
    start = browser.get("/auth/psc/start")
    state = start["Location"].split("state=")[1].split("&")[0]
    answer = browser.get(f"/auth/psc/callback?error=access_denied&state={state}")
    assert_error_page(answer, 403, "psc_denied")


def test_without_configuration_the_start_page_explains(personas, settings):
    settings.PSC_DISCOVERY_URL = ""
    assert_error_page(Client().get("/auth/psc/start"), 503, "psc_not_configured")
    assert Client().get("/api/auth/methods").json()["psc"] is False


def test_the_sign_in_page_learns_that_psc_is_offered(psc):
    methods = Client().get("/api/auth/methods").json()
    assert methods == {
        "psc": True,
        "psc_start_url": "/auth/psc/start",
        "psc_required_for_rpps": False,
    }


def test_the_organisation_admin_reads_the_mismatch_in_the_journal(psc, personas):
    # Dr Martin also has a clinical membership at CH du Mans that PSC does not assert.
    ch = personas.admin.professional.memberships.get().organization
    Membership.objects.create(
        professional=personas.gp.professional, organization=ch, role=Membership.Role.CLINICIAN
    )
    psc_sign_in(psc, Client(), rpps_of("dr.martin"))
    admin = Client()
    admin.force_login(personas.admin)
    events = admin.get("/api/audit/journal/events?action=accounts.psc_mismatch").json()["events"]
    assert len(events) == 1
    assert events[0]["label"] == "Écart entre Pro Santé Connect et les rattachements"
    assert events[0]["data"]["kind"] == "membership_not_in_psc"
    assert events[0]["data"]["finess"] == ch.finess
