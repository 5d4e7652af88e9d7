"""Background work for syntheses: rendering the PDF."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from conversations.syntheses.rendering import render_export


# The name predates the syntheses package: queued tasks and task metrics keep it.
@shared_task(
    name="conversations.tasks.render_synthesis",
    acks_late=True,
    soft_time_limit=settings.SYNTHESIS_TIME_LIMIT_SECONDS,  # then "render_timeout", clearly
    time_limit=settings.SYNTHESIS_TIME_LIMIT_SECONDS + 60,
)
def render_synthesis(export_id: str) -> str:
    """Render a conversation synthesis PDF; idempotent (an export already done is skipped)."""
    return render_export(export_id)
