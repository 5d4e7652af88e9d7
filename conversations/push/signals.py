"""A browser session that signs out stops receiving its user's notices at once (shared PCs)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from conversations.push.actions import forget_session


@receiver(user_logged_out)
def _forget_push_of_session(sender: Any, request: HttpRequest | None, **_: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        forget_session(session.session_key)
