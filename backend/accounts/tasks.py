"""Periodic: refresh the Pro Santé Connect tokens about to expire, so that a PSC session that
ended (refresh refused) ends the platform session and closes its sockets within a minute, even
for a user who only has sockets open."""

from __future__ import annotations

import logging

from celery import shared_task

from backend.accounts.models import User
from backend.accounts.psc import tokens

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def refresh_psc_sessions() -> int:
    """Returns how many PSC sessions ended."""
    ended = 0
    for user_id in tokens.due_for_refresh():
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            tokens.forget_user(user_id)
            continue
        try:
            tokens.current_access_token(user)
        except tokens.PscSessionEnded:
            ended += 1
        except Exception:
            logger.exception("psc refresh failed", extra={"event": "psc.refresh"})
    return ended


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=540)
def purge_expired_sessions() -> None:
    """Django's `clearsessions`: expired session rows are deleted (nothing else ever does, so
    the table would only grow). Every check already refuses them (HTTP and WebSocket both read
    `expire_date`); this is housekeeping, not a security boundary."""
    from importlib import import_module

    from django.conf import settings

    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
