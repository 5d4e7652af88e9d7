"""The follow-up tasks of a stored mail (acknowledgements, delivery reports, notifications).

Apart from tasks.py so that storing a mail (actions.py) can schedule them without importing
the fetching code that calls actions.py. They keep the names they had in tasks.py (the beat
schedule and messages already queued use them)."""

from __future__ import annotations

from celery import shared_task

from backend.mssante.inbox import followup
from backend.mssante.inbox.models import InboundMessage

_NAMES = "backend.mssante.inbox.tasks"


@shared_task(name=f"{_NAMES}.process_inbound", acks_late=True, soft_time_limit=120, time_limit=180)
def process_inbound(message_id: str) -> bool:
    return followup.process(message_id)


@shared_task(
    name=f"{_NAMES}.process_inbound_many", acks_late=True, soft_time_limit=540, time_limit=600
)
def process_inbound_many(message_ids: list[str]) -> int:
    """The follow-up of a group of mails stored by one fetch (each one idempotent)."""
    return sum(followup.process(message_id) for message_id in message_ids)


@shared_task(name=f"{_NAMES}.process_pending", acks_late=True, time_limit=600)
def process_pending() -> int:
    """Follow-up work whose task was lost (broker down at commit)."""
    pending = InboundMessage.objects.filter(processed=False).values_list("pk", flat=True)[:500]
    count = 0
    for message_id in pending:
        count += followup.process(message_id)
    return count
