"""Sessions that end when they should: everywhere at once, open sockets included.

Two ways a session ends:
- one session (logout): its store entry is deleted and the sockets of that browser session are
  closed;
- every session of a user (password change, deactivation, removal from an organisation, end of
  the Pro Santé Connect session): `User.sessions_revoked_at` moves to now. A session remembers
  when it signed in (`AUTH_AT`); one signed in before the revocation is refused by the HTTP
  middleware (session_middleware.py) and by the WebSocket consumer at its next frame, and its
  sockets are closed now.

The close carries `CLOSE_SESSION_ENDED` and the reason as close reason; the client goes back to
the sign-in page and says why (frontend/src/ws).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models import Exists
from django.db.models.functions import Now
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from backend.compiled import CompiledQuery, from_db, hot_cursor

logger = logging.getLogger(__name__)

AUTH_AT = "_liaison_auth_at"  # epoch seconds of the sign-in, in the session
CLOSE_SESSION_ENDED = 4410  # WebSocket close code: "your session is over, sign in again"
# "Your session has a new key (a password change renews it): reconnect" (the client reconnects
# on any close but 4410 and the sign-in ones, with the new cookie).
CLOSE_SESSION_RENEWED = 4012

# Reasons (the WebSocket close reason, and the `session.ended` frame's `reason`).
LOGOUT = "logout"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason code
DEACTIVATED = "deactivated"
MEMBERSHIP_REMOVED = "membership_removed"
PSC_SESSION_ENDED = "psc_session_ended"
ENDED = "session_ended"  # found out at a frame, cause unknown to that process
REASONS = {
    ENDED: "Votre session a pris fin : reconnectez-vous.",
    LOGOUT: "Vous avez été déconnecté.",
    PASSWORD_CHANGED: "Votre mot de passe a changé : reconnectez-vous.",
    DEACTIVATED: "Votre compte a été désactivé.",
    MEMBERSHIP_REMOVED: "Votre accès à une structure a changé : reconnectez-vous.",
    PSC_SESSION_ENDED: "Votre session Pro Santé Connect a pris fin : reconnectez-vous.",
}


def session_group(session_key: str) -> str:
    """The name of one browser session in `session.end` events, which its sockets compare
    with their own (the key itself never leaves the session store: the name is a digest)."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def user_group(user_id: uuid.UUID | str) -> str:
    return f"user.{user_id}"


@receiver(user_logged_in)
def _remember_sign_in_time(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[AUTH_AT] = time.time()


def _close_sockets(
    group: str,
    reason: str,
    keep: str | None = None,
    renewed: str | None = None,
    only: str | None = None,
) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    event = {
        "type": "session.end",
        "reason": reason,
        "keep": keep,
        "renewed": renewed,
        "only": only,
    }
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        # The sockets still refuse every later frame (session_is_alive): they only stay open.
        logger.exception("closing sockets failed", extra={"event": "session.end"})


def end_session(session_key: str | None, reason: str = LOGOUT, user: Any = None) -> None:
    """After commit, close the sockets of this browser session (its store entry is flushed
    by auth.logout). The event goes to the user's group, where every socket of the user
    already listens, and only the sockets of this session act on it (`only`): a group per
    browser session would cost every socket one more pub/sub subscription (issue #21 item 5)."""
    user_id = getattr(user, "pk", None)
    if session_key and user_id is not None:
        group, only = user_group(user_id), session_group(session_key)
        transaction.on_commit(lambda: _close_sockets(group, reason, only=only))


def end_user_sessions(
    user: Any,
    reason: str,
    keep_session: HttpRequest | None = None,
    renewed_from: str | None = None,
) -> None:
    """Every session of `user` signed in before now is over, and their sockets closed after
    commit. `keep_session` (the request that changed the password) stays signed in."""
    from backend.accounts.models import User

    now = timezone.now()
    User.objects.filter(pk=user.pk).update(sessions_revoked_at=now)
    user.sessions_revoked_at = now
    keep = None
    if keep_session is not None and keep_session.session.session_key:
        keep_session.session[AUTH_AT] = now.timestamp() + 1e-3
        keep = session_group(keep_session.session.session_key)
    group = user_group(user.pk)
    # Sockets opened under the key the change renewed (`renewed_from`) belong to the kept
    # session: they are told to reconnect, not that it ended.
    renewed = session_group(renewed_from) if renewed_from else None
    transaction.on_commit(lambda: _close_sockets(group, reason, keep, renewed))


def signed_in_before_revocation(user: Any, auth_at: float | None) -> bool:
    return _revoked_since(getattr(user, "sessions_revoked_at", None), auth_at)


def _revoked_since(revoked: Any, auth_at: float | None) -> bool:
    if revoked is None:
        return False
    return auth_at is None or auth_at < revoked.timestamp()


def session_is_alive(session_key: str | None, user_id: Any, auth_at: float | None) -> bool:
    """For the WebSocket consumer, at every frame: the session still exists, its user is still
    active, and nothing revoked it since it signed in."""
    from backend.accounts.models import User

    if not session_key:
        return False
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db" and user_id:
        # One statement per frame, compiled once (the store's `exists` and the user otherwise).
        sql, params = ALIVE.sql(user_id, session_key)
        with hot_cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return False
        revoked = from_db(User._meta.get_field("sessions_revoked_at"), row[0])
        return not _revoked_since(revoked, auth_at)
    else:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        if not store().exists(session_key):
            return False
        user = User.objects.filter(pk=user_id, is_active=True).only("sessions_revoked_at").first()
    return user is not None and not signed_in_before_revocation(user, auth_at)


def alive_sessions(entries: list[tuple[str | None, Any, float | None]]) -> set[str]:
    """session_is_alive for many sockets at once (the liveness loop, every period): the keys
    of (session key, user id, sign-in time) entries whose session is alive, in two statements
    for the database store (per CHUNK entries)."""
    from backend.accounts.models import User

    keys = sorted({key for key, _, _ in entries if key})
    user_ids = sorted({str(user_id) for _, user_id, _ in entries if user_id})
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        from django.contrib.sessions.models import Session

        existing = {
            key
            for chunk in _chunks(keys)
            for key in Session.objects.filter(
                session_key__in=chunk, expire_date__gt=Now()
            ).values_list("session_key", flat=True)
        }
    else:
        store = import_module(settings.SESSION_ENGINE).SessionStore
        existing = {key for key in keys if store().exists(key)}
    revoked = {
        str(pk): at
        for chunk in _chunks(user_ids)
        for pk, at in User.objects.filter(pk__in=chunk, is_active=True).values_list(
            "pk", "sessions_revoked_at"
        )
    }
    return {
        key
        for key, user_id, auth_at in entries
        if key in existing
        and str(user_id) in revoked
        and not _revoked_since(revoked[str(user_id)], auth_at)
    }


def _chunks(values: list[str], size: int = 5_000) -> Any:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _alive_query(user_id: uuid.UUID, session_key: str) -> Any:
    from django.contrib.sessions.models import Session

    from backend.accounts.models import User

    return (
        User.objects.filter(pk=user_id, is_active=True)
        # An expired session is over, as for HTTP (the store reads only unexpired rows).
        .filter(Exists(Session.objects.filter(session_key=session_key, expire_date__gt=Now())))
        .order_by()
        .values_list("sessions_revoked_at")[:1]
    )


# Also read by the one-statement message send (conversations.send_statement).
ALIVE = CompiledQuery(_alive_query, (uuid.UUID, str))
