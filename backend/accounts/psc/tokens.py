"""The Pro Santé Connect tokens of a signed-in professional: in the server-side cache only, for
their lifetime, never in the database, the logs or the metrics (PSC rules: "the PSC token is
never stored permanently").

`current_access_token(user)` is what the MSSanté transport calls (SASL XOAUTH2): it refreshes
the access token when it is about to expire; when the provider refuses the refresh, the PSC
session is over and so is every session of the user on the platform (sockets included).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from backend.accounts import sessions
from backend.accounts.psc import client
from backend.accounts.psc.errors import PscError

logger = logging.getLogger(__name__)

PSC_SESSION = "_liaison_psc"  # in the Django session: signed in through PSC (no token there)
EXERCICES = "_liaison_psc_exercices"  # the exercices PSC asserted, shown to the professional
REFRESH_MARGIN = 30  # seconds: refresh an access token this close to its expiry
_LOCK_SECONDS = 30
# user id -> access-token expiry, for the periodic check (tasks.py). Best effort: an update lost
# between two processes only leaves that user to the check made at their next request.
_ACTIVE = "psc:active-users"


class PscSessionEnded(Exception):
    """The professional's PSC session is over: sign in again."""


def _key(user_id: Any) -> str:
    return f"psc:tokens:{user_id}"


def store(user: Any, token: dict[str, Any], id_token: str | None = None) -> None:
    entry = {
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": time.time() + int(token.get("expires_in") or 60),
        "id_token": id_token or token.get("id_token"),
    }
    # The cache entry lives as long as the platform session can.
    cache.set(_key(user.pk), entry, timeout=settings.SESSION_COOKIE_AGE)
    _track(str(user.pk), entry["expires_at"])


def _track(user_id: str, expires_at: float | None) -> None:
    active = dict(cache.get(_ACTIVE) or {})
    if expires_at is None:
        active.pop(user_id, None)
    else:
        active[user_id] = expires_at
    cache.set(_ACTIVE, active, timeout=settings.SESSION_COOKIE_AGE)


def forget_user(user_id: str) -> None:
    cache.delete(_key(user_id))
    _track(user_id, None)


def due_for_refresh() -> list[str]:
    """Users whose access token is about to expire: the periodic check refreshes them, so the
    platform learns that a PSC session ended even when the user makes no request."""
    now = time.time()
    return [uid for uid, at in (cache.get(_ACTIVE) or {}).items() if at - REFRESH_MARGIN <= now]


def _entry(user_id: Any) -> dict[str, Any] | None:
    entry = cache.get(_key(user_id))
    return entry if isinstance(entry, dict) else None


def _end(user: Any) -> None:
    cache.delete(_key(user.pk))
    _track(str(user.pk), None)
    sessions.end_user_sessions(user, sessions.PSC_SESSION_ENDED)


def current_access_token(user: Any) -> str:
    """The professional's current PSC access token, refreshed if needed. Raises
    PscSessionEnded when there is none or the provider refuses to refresh it."""
    entry = _entry(user.pk)
    if entry is None:
        _track(str(user.pk), None)
        raise PscSessionEnded
    if entry["expires_at"] - REFRESH_MARGIN > time.time():
        return str(entry["access_token"])
    lock = _key(user.pk) + ":refreshing"
    if not cache.add(lock, 1, timeout=_LOCK_SECONDS):
        # Another request is refreshing: its result will be there in a moment; this one uses
        # the current token while it is still valid.
        if entry["expires_at"] > time.time():
            return str(entry["access_token"])
        raise PscSessionEnded
    try:
        if not entry.get("refresh_token"):
            _end(user)
            raise PscSessionEnded
        try:
            token = client.refresh(entry["refresh_token"])
        except PscError as exc:
            if exc.code == "psc_unavailable" and entry["expires_at"] > time.time():
                return str(entry["access_token"])  # PSC briefly unreachable: not an ending
            logger.info("psc refresh refused", extra={"event": "psc.refresh_refused"})
            _end(user)
            raise PscSessionEnded from exc
        token.setdefault("refresh_token", entry["refresh_token"])
        store(user, token, token.get("id_token") or entry.get("id_token"))
        return str(token["access_token"])
    finally:
        cache.delete(lock)


def session_still_valid(request: HttpRequest) -> bool:
    """For the HTTP middleware: a session signed in through PSC lasts as long as its tokens."""
    if not request.session.get(PSC_SESSION):
        return True
    try:
        current_access_token(request.user)
    except PscSessionEnded:
        return False
    return True


def expire_access_token(user: Any) -> None:
    """The next use refreshes (an administrator's "check now"; tests use it too)."""
    entry = _entry(user.pk)
    if entry is not None:
        entry["expires_at"] = 0
        cache.set(_key(user.pk), entry, timeout=settings.SESSION_COOKIE_AGE)
        _track(str(user.pk), 0)


def end_psc_session(request: HttpRequest, user: Any) -> str | None:
    """Logout: forget the tokens and return the provider's logout URL (RP-initiated logout)."""
    entry = _entry(user.pk)
    cache.delete(_key(user.pk))
    _track(str(user.pk), None)
    return client.end_session_url(
        entry.get("id_token") if entry else None,
        request.build_absolute_uri("/auth/psc/logged-out"),
    )
