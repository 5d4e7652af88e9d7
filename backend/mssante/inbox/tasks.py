"""Celery tasks of the inbox (ids in, idempotent, time-limited): fetching here, the follow-up of a
stored mail in process_tasks.py (what storing a mail schedules), re-exported."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from backend.mssante.inbox import fetch
from backend.mssante.inbox.models import MailboxConnection
from backend.mssante.inbox.process_tasks import (
    process_inbound,
    process_inbound_many,
    process_pending,
)

__all__ = [
    "fetch_all",
    "fetch_mailbox",
    "process_inbound",
    "process_inbound_many",
    "process_pending",
]


@shared_task(acks_late=True, soft_time_limit=540, time_limit=600)
def fetch_mailbox(connection_id: int) -> dict[str, Any]:
    """Fetch one mailbox; a re-run stores nothing twice (see actions.store_fetched)."""
    result = fetch.fetch_connection(connection_id)
    return {"stored": result.stored, "skipped": result.skipped, "error": result.error}


# soft_time_limit too: the global CELERY_TASK_SOFT_TIME_LIMIT (540) is above 120, which Celery
# refuses when beat schedules it (found by make deploy-test).
@shared_task(acks_late=True, soft_time_limit=100, time_limit=120)
def fetch_all() -> int:
    """The polling fallback (celery beat): schedule a fetch of every active mailbox."""
    ids = MailboxConnection.objects.filter(mailbox__active=True).values_list("pk", flat=True)
    for connection_id in ids:
        fetch_mailbox.delay(connection_id)
    return len(ids)
