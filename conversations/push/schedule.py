"""The door from the message actions to Web Push: a task after commit, only when a recipient has
subscribed a browser.

Whether someone subscribed is asked of this process's cache, not of the database, after every
send (issue #21: that query was on the message path). A save or delete of a subscription in this
process empties the cache; another process sees a new subscription within
SUBSCRIBED_CACHE_SECONDS (a notice is a courtesy, and its user is usually on line right after
subscribing). A stale "yes" costs only a task that finds nobody to notify."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.db import transaction

from backend.celery import enqueue
from backend.process_cache import ProcessCache
from conversations.push.models import PushSubscription

logger = logging.getLogger(__name__)


TASK = "conversations.push.tasks.push_message"
SUBSCRIBED_CACHE_SECONDS = 30.0


def _subscribed(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, bool]:
    found = set(
        PushSubscription.objects.filter(user_id__in=user_ids)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return {user_id: user_id in found for user_id in user_ids}


_cache: ProcessCache[uuid.UUID, bool] = ProcessCache(
    "push-subscribed", SUBSCRIBED_CACHE_SECONDS, _subscribed, (PushSubscription,)
)


def any_subscribed(user_ids: Iterable[uuid.UUID]) -> bool:
    return any(_cache.get_many(user_ids).values())


def may_be_subscribed(user_ids: list[uuid.UUID]) -> bool:
    """False only when this process knows, without the database, that none subscribed."""
    known = _cache.peek_many(user_ids)
    return known is None or any(known.values())


def schedule_now(message_id: str, user_ids: list[uuid.UUID]) -> None:
    """The notice of a message already committed (on commit, or after the send from the event
    loop, which commits by itself)."""
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
        transaction.on_commit(lambda: schedule_now(message_id, others))
