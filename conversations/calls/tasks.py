"""Background work for calls: ending calls nobody answered."""

from __future__ import annotations

from celery import shared_task

from conversations.calls.lifecycle import expire_if_unanswered


# The name predates the calls package: queued tasks and task metrics keep it.
@shared_task(
    name="conversations.tasks.expire_unanswered_call",
    acks_late=True,
    time_limit=60,
    soft_time_limit=50,
)
def expire_unanswered_call(call_id: str) -> bool:
    """Idempotent: a call already answered, ended, or not yet overdue is left as it is."""
    return expire_if_unanswered(call_id)
