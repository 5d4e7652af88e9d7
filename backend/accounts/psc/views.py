"""The browser's round trip to Pro Santé Connect: start, callback, back from logout.

These are page redirects, not API calls: errors are French HTML pages, and the browser ends
signed out whatever went wrong."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import auth
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from backend.accounts import sessions
from backend.accounts.psc import actions, client
from backend.accounts.psc.errors import PscError
from backend.audit import log as audit

CALLBACK_PATH = "/auth/psc/callback"
FLOWS = "_liaison_psc_flows"  # state -> {nonce, verifier, at}: pending sign-ins of this browser
FLOW_SECONDS = 600
MAX_FLOWS = 5


def _error_page(request: HttpRequest, error: PscError) -> HttpResponse:
    if request.user.is_authenticated:
        sessions.end_session(request.session.session_key, sessions.LOGOUT, request.user)
        auth.logout(request)
    return render(
        request,
        "accounts/psc_error.html",
        {"code": error.code, "title": error.title, "message": error.message},
        status=error.status,
    )


def _redirect_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(CALLBACK_PATH)


@require_GET
@never_cache
def start(request: HttpRequest) -> HttpResponse:
    try:
        url, flow = client.authorization_request(_redirect_uri(request))
    except PscError as error:
        return _error_page(request, error)
    now = time.time()
    flows: dict[str, Any] = {
        state: f
        for state, f in (request.session.get(FLOWS) or {}).items()
        if now - f["at"] < FLOW_SECONDS
    }
    flows[flow.pop("state")] = flow
    # Keep the newest few: a browser with several tabs may start several sign-ins.
    request.session[FLOWS] = dict(sorted(flows.items(), key=lambda kv: kv[1]["at"])[-MAX_FLOWS:])
    return HttpResponseRedirect(url)


def _take_flow(request: HttpRequest) -> dict[str, Any]:
    """The pending flow this callback answers, used once (a replayed state finds nothing)."""
    state = request.GET.get("state", "")
    flows = dict(request.session.get(FLOWS) or {})
    flow = flows.pop(state, None)
    request.session[FLOWS] = flows
    if flow is None or time.time() - flow["at"] > FLOW_SECONDS:
        raise PscError("psc_state")
    return {**flow, "state": state}


@require_GET
@never_cache
def callback(request: HttpRequest) -> HttpResponse:
    try:
        flow = _take_flow(request)
        if "error" in request.GET:
            raise PscError("psc_denied")
        redirect_uri = _redirect_uri(request)
        token = client.exchange_code(redirect_uri, request.build_absolute_uri(), flow)
        id_claims = client.verify_id_token(token["id_token"], flow["nonce"])
        userinfo = client.userinfo(token["access_token"], str(id_claims["sub"]))
        if request.user.is_authenticated:
            # A new sign-in replaces whatever this browser was signed in as.
            sessions.end_session(request.session.session_key, sessions.LOGOUT, request.user)
            auth.logout(request)
        actions.sign_in(request, userinfo, token)
    except PscError as error:
        if error.code not in {"unknown_rpps", "account_disabled"}:  # audited by the action
            with transaction.atomic():
                audit.record("auth.psc_failed", data={"reason": error.code})
        return _error_page(request, error)
    return HttpResponseRedirect("/")


@require_GET
@never_cache
def logged_out(request: HttpRequest) -> HttpResponse:
    """Where PSC sends the browser back after RP-initiated logout."""
    return HttpResponseRedirect("/?deconnexion=1")
