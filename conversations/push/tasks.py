"""Web Push tasks: ids in, idempotent (PushDelivery), short time limits."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from conversations.push import notify
from conversations.push.models import PushDelivery


@shared_task(name="conversations.push.tasks.push_message", time_limit=120, soft_time_limit=100)
def push_message(message_id: str) -> int:
    return notify.push_message(message_id)


@shared_task(name="conversations.push.tasks.purge_deliveries", time_limit=600)
def purge_deliveries() -> int:
    """The once-only record is needed while a task may be retried, not for ever."""
    deleted, _ = PushDelivery.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=2)
    ).delete()
    return deleted
