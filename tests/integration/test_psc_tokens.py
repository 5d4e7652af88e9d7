"""Pro Santé Connect tokens: server-side cache only, refreshed for the MSSanté transport, the
platform session ending with the PSC session, RP-initiated logout, and no token in the
database, the logs or /metrics."""

from __future__ import annotations

import io
import json
import logging

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from backend.accounts import sessions
from backend.accounts.psc import tokens
from tests.integration.test_sessions_end import assert_ended, open_tab
from tests.support.psc_flow import psc_sign_in, rpps_of

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in_browser(psc, username: str) -> Client:
    browser = Client()
    assert psc_sign_in(psc, browser, rpps_of(username)).status_code == 302
    return browser


def test_the_transport_gets_a_live_token_and_a_refreshed_one_when_it_expires(psc, personas):
    signed_in_browser(psc, "dr.martin")
    token = tokens.current_access_token(personas.gp)
    seen = psc.introspect(token)
    assert seen["active"] is True and seen["SubjectNameID"] == "8" + rpps_of("dr.martin")
    tokens.expire_access_token(personas.gp)
    fresh = tokens.current_access_token(personas.gp)
    assert fresh != token
    assert psc.introspect(fresh)["active"] is True


def test_no_psc_session_means_no_token(personas):
    with pytest.raises(tokens.PscSessionEnded):
        tokens.current_access_token(personas.gp)


async def test_the_end_of_the_psc_session_ends_the_platform_session_and_its_sockets(psc, personas):
    browser = await sync_to_async(signed_in_browser)(psc, "dr.martin")
    tab = await open_tab(browser)
    await sync_to_async(psc.end_session)(rpps_of("dr.martin"))
    await sync_to_async(tokens.expire_access_token)(personas.gp)
    # The next request (or the transport asking for the token) finds the refresh refused.
    assert (await sync_to_async(browser.get)("/api/me")).status_code == 401
    await assert_ended(tab, sessions.PSC_SESSION_ENDED)
    with pytest.raises(tokens.PscSessionEnded):
        await sync_to_async(tokens.current_access_token)(personas.gp)


def test_logout_ends_the_psc_session_too(psc, personas):
    browser = signed_in_browser(psc, "dr.martin")
    token = tokens.current_access_token(personas.gp)
    answer = browser.post("/api/auth/logout")
    assert answer.status_code == 200
    url = answer.json()["psc_logout_url"]
    assert url.startswith(psc.issuer + "/session/end?") and "id_token_hint=" in url
    assert browser.get("/api/me").status_code == 401
    with pytest.raises(tokens.PscSessionEnded):
        tokens.current_access_token(personas.gp)
    # The browser visits the provider's logout (confirmed at once like PSC), and comes back.
    back = psc.follow_logout(url, rpps_of("dr.martin"))
    assert back.startswith("http://testserver/auth/psc/logged-out")
    assert Client().get("/auth/psc/logged-out")["Location"] == "/?deconnexion=1"
    # Every token of that sign-in died with the PSC session.
    assert psc.introspect(token)["active"] is False


def test_no_psc_token_in_the_database_the_logs_or_the_metrics(psc, personas, caplog):
    caplog.set_level(logging.DEBUG)
    browser = signed_in_browser(psc, "dr.martin")
    tokens.expire_access_token(personas.gp)
    tokens.current_access_token(personas.gp)
    entry = tokens._entry(personas.gp.pk)
    assert entry is not None
    secrets = [entry["access_token"], entry["refresh_token"], entry["id_token"]]
    assert all(secrets)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    sessions_data = json.dumps([s.get_decoded() for s in Session.objects.all()])
    metrics = Client().get("/metrics").content.decode()
    logs = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    browser.get("/api/me")
    for secret in secrets:
        for part in (secret, secret[:24], secret[-24:]):
            assert part not in dump.getvalue()
            assert part not in sessions_data
            assert part not in metrics
            assert part not in logs


def test_the_mailbox_transport_gets_the_signed_in_professionals_token(psc, personas):
    from backend.accounts.models import Mailbox
    from backend.mssante.inbox import tokens as mailbox_tokens

    mailbox = Mailbox.objects.get(kind=Mailbox.Kind.PERSONAL, professional__user=personas.gp)
    assert mailbox_tokens.token_for_mailbox(mailbox) is None
    signed_in_browser(psc, "dr.martin")
    token = mailbox_tokens.token_for_mailbox(mailbox)
    assert token == tokens.current_access_token(personas.gp)
    assert psc.introspect(token)["email"] == mailbox.address


async def test_the_periodic_check_ends_a_finished_psc_session_without_any_request(psc, personas):
    from backend.accounts.tasks import refresh_psc_sessions

    browser = await sync_to_async(signed_in_browser)(psc, "dr.martin")
    tab = await open_tab(browser)
    assert await sync_to_async(refresh_psc_sessions)() == 0  # nothing due yet
    await sync_to_async(psc.end_session)(rpps_of("dr.martin"))
    await sync_to_async(tokens.expire_access_token)(personas.gp)
    assert await sync_to_async(refresh_psc_sessions)() == 1
    await assert_ended(tab, sessions.PSC_SESSION_ENDED)
    assert (await sync_to_async(browser.get)("/api/me")).status_code == 401
