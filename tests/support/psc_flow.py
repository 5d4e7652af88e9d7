"""Signing in through the local Pro Santé Connect with Django's test client (no browser)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from backend import demo
from backend.accounts.identifiers import make_rpps
from backend.accounts.psc import client as psc_client
from tests.support.psc import PscProvider


def rpps_of(username: str) -> str:
    person = next(p for p in demo.PEOPLE if p.username == username)
    assert person.rpps_body
    return make_rpps(person.rpps_body)


@pytest.fixture
def psc(psc_provider: PscProvider, settings: Any) -> Iterator[PscProvider]:
    """The platform configured against the local provider."""
    for name, value in psc_provider.settings().items():
        setattr(settings, name, value)
    psc_client.forget_provider()
    yield psc_provider
    psc_client.forget_provider()


def callback_path(psc: PscProvider, browser: Client, rpps: str, fault: str | None = None) -> str:
    start = browser.get("/auth/psc/start")
    assert start.status_code == 302, start.content
    if fault:
        psc.inject_fault(fault)
    back = psc.sign_in(start["Location"], rpps)
    assert back.startswith("http://testserver/auth/psc/callback?"), back
    return back.removeprefix("http://testserver")


def psc_sign_in(psc: PscProvider, browser: Client, rpps: str, fault: str | None = None) -> Any:
    return browser.get(callback_path(psc, browser, rpps, fault))
