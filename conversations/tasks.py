"""Periodic housekeeping of conversations (the wings keep their own tasks)."""

from __future__ import annotations

from celery import shared_task

from conversations.uploads import expire_unsent


@shared_task(name="conversations.tasks.expire_unsent_uploads", time_limit=600)
def expire_unsent_uploads() -> int:
    return expire_unsent()


@shared_task(
    name="conversations.tasks.remind_urgent", time_limit=60, soft_time_limit=50, acks_late=True
)
def remind_urgent(message_id: str) -> int:
    """Remind the recipients of an urgent message who have not acknowledged it (idempotent)."""
    from conversations.urgent import remind

    return remind(message_id)


@shared_task(name="conversations.tasks.remind_overdue_urgent", time_limit=120, soft_time_limit=110)
def remind_overdue_urgent() -> int:
    """Beat: the reminders whose countdown task was lost (idempotent)."""
    from conversations.urgent import remind_overdue

    return remind_overdue()
