"""Pro Santé Connect access tokens for XOAUTH2, held in the cache with their TTL only.

The token is never written to the database (référentiel #2): the sign-in stores it here when
the user signs in with Pro Santé Connect (``remember``), and it disappears when it expires or
when the session ends (``forget``). An ORG mailbox is reached with the token of any member
currently signed in.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from backend.accounts.models import Mailbox

__all__ = ["forget", "remember", "token_for_mailbox", "token_for_user"]


def _key(user_id: Any) -> str:
    return f"mssante:psc-token:{user_id}"


def remember(user_id: Any, token: str, expires_in: int) -> None:
    if expires_in > 0 and token:
        cache.set(_key(user_id), token, timeout=expires_in)


def forget(user_id: Any) -> None:
    cache.delete(_key(user_id))


def token_for_user(user_id: Any) -> str | None:
    value = cache.get(_key(user_id))
    return value if isinstance(value, str) else None


def token_for_mailbox(mailbox: Mailbox) -> str | None:
    if mailbox.kind == Mailbox.Kind.PERSONAL and mailbox.professional is not None:
        return token_for_user(mailbox.professional.user_id)
    if mailbox.kind == Mailbox.Kind.ORGANIZATIONAL:
        for user_id in mailbox.members.values_list("user_id", flat=True):
            token = token_for_user(user_id)
            if token:
                return token
    return None
