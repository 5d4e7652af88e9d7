"""Periodic housekeeping of conversations (the wings keep their own tasks)."""

from __future__ import annotations

from celery import shared_task

from conversations.uploads import expire_unsent


@shared_task(name="conversations.tasks.expire_unsent_uploads", time_limit=600)
def expire_unsent_uploads() -> int:
    return expire_unsent()
