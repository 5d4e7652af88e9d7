"""Celery tasks of the inbox (ids in, idempotent, time-limited)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from backend.mssante.inbox import fetch, followup
from backend.mssante.inbox.models import InboundMessage, MailboxConnection

__all__ = ["fetch_all", "fetch_mailbox", "process_inbound", "process_pending"]


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


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def process_inbound(message_id: str) -> bool:
    return followup.process(message_id)


@shared_task(acks_late=True, time_limit=600)
def process_pending() -> int:
    """Follow-up work whose task was lost (broker down at commit)."""
    pending = InboundMessage.objects.filter(processed=False).values_list("pk", flat=True)[:500]
    count = 0
    for message_id in pending:
        count += followup.process(message_id)
    return count
