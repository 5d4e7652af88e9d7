"""Which Pro Santé Connect access token opens a mailbox over XOAUTH2.

The tokens themselves live in the server-side cache only (``backend.accounts.psc.tokens``,
never in the database): a PER mailbox uses its owner's token; an ORG mailbox the token of a
clinical member currently signed in with Pro Santé Connect (the acting member first when a
member acts, e.g. sends from the team box). The operator decides: it accepts a member's token
for the ORG box only when its own record lists that professional as a member (operator-side
delegation), so the client tries each signed-in member's token in turn. No token: the mailbox
waits (its state says so) until someone signs in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from backend.accounts.access import clinical_member_user_ids
from backend.accounts.models import Mailbox, User
from backend.accounts.psc.tokens import PscSessionEnded, current_access_token

__all__ = ["mailbox_tokens", "token_for_mailbox", "token_for_user"]


def token_for_user(user: Any) -> str | None:
    try:
        return current_access_token(user)
    except PscSessionEnded:
        return None


def _holders(mailbox: Mailbox, actor: Any = None) -> list[Any]:
    if mailbox.kind == Mailbox.Kind.PERSONAL and mailbox.professional is not None:
        return [mailbox.professional.user]
    if mailbox.kind != Mailbox.Kind.ORGANIZATIONAL:
        return []
    members = clinical_member_user_ids([mailbox.pk])
    users = list(User.objects.filter(pk__in=members).order_by("pk"))
    if actor is not None and actor.pk in members:
        users.sort(key=lambda user: user.pk != actor.pk)  # the acting member first
    return users


def mailbox_tokens(mailbox: Mailbox, actor: Any = None) -> Iterator[str]:
    """The tokens that may open ``mailbox``, best first (lazily: each is read, or refreshed,
    only when the previous one was refused)."""
    for user in _holders(mailbox, actor):
        token = token_for_user(user)
        if token:
            yield token


def token_for_mailbox(mailbox: Mailbox, actor: Any = None) -> str | None:
    return next(mailbox_tokens(mailbox, actor), None)
