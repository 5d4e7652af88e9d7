"""Background work for conversations: ending calls nobody answered."""

from __future__ import annotations

from celery import shared_task

from conversations import calls


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def expire_unanswered_call(call_id: str) -> bool:
    """Idempotent: a call already answered, ended, or not yet overdue is left as it is."""
    return calls.expire_if_unanswered(call_id)


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def render_synthesis(export_id: str) -> str:
    """Render a conversation synthesis PDF; idempotent (an export already done is skipped)."""
    from conversations.exports import render_export

    return render_export(export_id)
