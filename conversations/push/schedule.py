"""The door from the message actions to Web Push: a task after commit, only when a recipient has
subscribed a browser (most messages then cost one indexed query and no task)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from celery import current_app
from django.db import transaction

from conversations.push.models import PushSubscription

logger = logging.getLogger(__name__)


TASK = "conversations.push.tasks.push_message"


def _schedule(message_id: str, user_ids: list[uuid.UUID]) -> None:
    try:
        if PushSubscription.objects.filter(user_id__in=user_ids).exists():
            # By name: the task's module imports the actions' modules (no import cycle).
            current_app.send_task(TASK, args=(message_id,))
    except Exception:
        # A notice is a courtesy: the message itself is stored and delivered.
        logger.exception("push: could not schedule", extra={"event": "push.schedule"})


def push_on_commit(message: object, recipients: Iterable[uuid.UUID]) -> None:
    sender = getattr(message, "sender_id", None)
    others = [u for u in recipients if u != sender]
    if others:
        message_id = str(getattr(message, "pk", ""))
        transaction.on_commit(lambda: _schedule(message_id, others))
