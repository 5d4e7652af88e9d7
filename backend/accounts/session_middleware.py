"""The HTTP side of session revocation: a request whose session ended (sessions.py) or whose
Pro Santé Connect session ended (psc/tokens.py) is signed out. Its own module, so that the
sessions and the PSC tokens need not import each other."""

from __future__ import annotations

from typing import Any

from django.contrib import auth
from django.http import HttpRequest, HttpResponse

from backend.accounts.psc import tokens
from backend.accounts.sessions import AUTH_AT, signed_in_before_revocation


class SessionRevocationMiddleware:
    """Signs out an HTTP session that a revocation ended (after AuthenticationMiddleware)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            revoked = signed_in_before_revocation(user, request.session.get(AUTH_AT))
            if revoked or not tokens.session_still_valid(request):
                auth.logout(request)
        response: HttpResponse = self.get_response(request)
        return response
