"""The door from the message actions to Web Push: a task after commit, only when a recipient has
subscribed a browser.

Whether someone subscribed is asked of this process's cache, not of the database, after every
send (issue #21: that query was on the message path). A save or delete of a subscription in this
process empties the cache; another process sees a new subscription within
SUBSCRIBED_CACHE_SECONDS (a notice is a courtesy, and its user is usually on line right after
subscribing). A stale "yes" costs only a task that finds nobody to notify."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from backend.celery import enqueue
from conversations.push.models import PushSubscription

logger = logging.getLogger(__name__)


TASK = "conversations.push.tasks.push_message"
SUBSCRIBED_CACHE_SECONDS = 30.0
_subscribed: dict[uuid.UUID, tuple[float, bool]] = {}


def any_subscribed(user_ids: Iterable[uuid.UUID]) -> bool:
    now = time.monotonic()
    unknown = []
    for user_id in user_ids:
        hit = _subscribed.get(user_id)
        if hit is None or now - hit[0] >= SUBSCRIBED_CACHE_SECONDS:
            unknown.append(user_id)
        elif hit[1]:
            return True
    if not unknown:
        return False
    found = set(
        PushSubscription.objects.filter(user_id__in=unknown)
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in unknown:
        _subscribed[user_id] = (now, user_id in found)
    return bool(found)


def forget_subscriptions(**_: Any) -> None:
    _subscribed.clear()


post_save.connect(forget_subscriptions, sender=PushSubscription, dispatch_uid="push-subscribed")
post_delete.connect(forget_subscriptions, sender=PushSubscription, dispatch_uid="push-subscribed-d")


def _schedule(message_id: str, user_ids: list[uuid.UUID]) -> None:
    try:
        if any_subscribed(user_ids):
            # By name: the task's module imports the actions' modules (no import cycle).
            enqueue(TASK, message_id)
    except Exception:
        # A notice is a courtesy: the message itself is stored and delivered.
        logger.exception("push: could not schedule", extra={"event": "push.schedule"})


def push_on_commit(message: object, recipients: Iterable[uuid.UUID]) -> None:
    sender = getattr(message, "sender_id", None)
    others = [u for u in recipients if u != sender]
    if others:
        message_id = str(getattr(message, "pk", ""))
        transaction.on_commit(lambda: _schedule(message_id, others))
