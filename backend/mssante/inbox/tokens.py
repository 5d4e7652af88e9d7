"""Which Pro Santé Connect access token opens a mailbox over XOAUTH2.

The tokens themselves live in the server-side cache only (``backend.accounts.psc.tokens``,
never in the database): a PER mailbox uses its owner's token, an ORG mailbox the token of any
member currently signed in with Pro Santé Connect. No token: the mailbox waits (its state says
so) until someone signs in.
"""

from __future__ import annotations

from typing import Any

from backend.accounts.access import clinical_member_user_ids
from backend.accounts.models import Mailbox, User
from backend.accounts.psc.tokens import PscSessionEnded, current_access_token

__all__ = ["token_for_mailbox", "token_for_user"]


def token_for_user(user: Any) -> str | None:
    try:
        return current_access_token(user)
    except PscSessionEnded:
        return None


def token_for_mailbox(mailbox: Mailbox) -> str | None:
    if mailbox.kind == Mailbox.Kind.PERSONAL and mailbox.professional is not None:
        return token_for_user(mailbox.professional.user)
    if mailbox.kind == Mailbox.Kind.ORGANIZATIONAL:
        for user in User.objects.filter(pk__in=clinical_member_user_ids([mailbox.pk])):
            token = token_for_user(user)
            if token:
                return token
    return None
