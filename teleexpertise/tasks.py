"""Periodic teleexpertise work (celery beat): flag requests without answer in time."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from teleexpertise import actions
from teleexpertise.models import TeleexpertiseRequest
from teleexpertise.representations import OPEN_STATUSES, answer_days


@shared_task(acks_late=True, time_limit=300, soft_time_limit=270)
def flag_overdue_requests() -> int:
    """Idempotent: each request is flagged once (``overdue_flagged_at``)."""
    limit = timezone.now() - datetime.timedelta(days=answer_days())
    candidates = TeleexpertiseRequest.objects.filter(
        status__in=OPEN_STATUSES, created_at__lt=limit, overdue_flagged_at__isnull=True
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(candidates) if actions.flag_overdue(pk))
