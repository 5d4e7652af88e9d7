"""The Celery task that sends a queued MSSanté mail (ids in, idempotent, retried with backoff)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from backend.mssante import delivery
from backend.mssante.models import OutboundMessage, OutboundRecipient
from backend.mssante.transport import TransportError, get_transport

__all__ = ["send_outbound", "send_pending"]

logger = logging.getLogger(__name__)

# Upper bound for Celery's own counter; the schedule itself is MSSANTE_RETRY_DELAYS.
MAX_RETRIES = 50


def _deliver(
    message: OutboundMessage, recipients: list[OutboundRecipient]
) -> tuple[list[OutboundRecipient], str]:
    """Send to each claimed recipient (no transaction open); returns those to retry and why."""
    data = bytes(message.mime)
    handled: set[int] = set()
    retry: list[OutboundRecipient] = []
    reason = ""
    try:
        with get_transport(message.sender_mailbox, message.created_by).session() as session:
            for index, recipient in enumerate(recipients):
                try:
                    response = session.send(
                        message.sender_address,
                        recipient.address,
                        data,
                        name=f"{message.pk}-{recipient.position}",
                        notify=message.delivery_receipt,
                    )
                except TransportError as exc:
                    handled.add(index)
                    if exc.permanent:
                        delivery.record_failed(message, recipient, exc.reason)
                        continue
                    retry.append(recipient)
                    reason = exc.reason
                    if exc.connection_lost:
                        break
                else:
                    handled.add(index)
                    delivery.record_sent(message, recipient, response)
    except TransportError as exc:
        # The session could not be opened (or broke): the recipients not handled yet wait or fail.
        for index, recipient in enumerate(recipients):
            if index in handled:
                continue
            handled.add(index)
            if exc.permanent:
                delivery.record_failed(message, recipient, exc.reason)
            else:
                retry.append(recipient)
                reason = exc.reason
    retry += [r for i, r in enumerate(recipients) if i not in handled]
    return retry, reason


@shared_task(
    bind=True, max_retries=MAX_RETRIES, acks_late=True, soft_time_limit=300, time_limit=360
)
def send_outbound(self: Any, message_id: str) -> dict[str, Any]:
    """Send the recipients of ``message_id`` still waiting; a re-run after success sends nothing.

    Temporary failures put the recipients back in the queue and retry after the next delay of
    ``MSSANTE_RETRY_DELAYS``. When run eagerly (embedded default, tests) or called directly, no
    retry is scheduled from inside (it would block the caller): the row keeps its
    ``next_attempt_at`` and ``send_pending`` or a new call sends it.
    """
    claimed = delivery.claim(message_id)
    if claimed is None:
        return {"message": message_id, "attempted": 0, "retry_in": None}
    message, recipients = claimed
    retry, reason = _deliver(message, recipients)
    delay = None
    if retry:
        delay = delivery.release_for_retry(message.pk, retry, reason or "échec temporaire")
        logger.info("mssante: temporary failure for %s, retry in %s s", message.pk, delay)
        eager = bool(self.request.is_eager or self.request.called_directly)
        if delay is not None and not eager:
            raise self.retry(countdown=delay, max_retries=MAX_RETRIES)
    return {"message": message_id, "attempted": len(recipients), "retry_in": delay}


@shared_task(acks_late=True, time_limit=600)
def send_pending() -> int:
    """Schedule every message whose next attempt is due, or which no task ever picked up
    (broker unavailable at commit). Meant for celery beat / cron (``mssante_send_pending``)."""
    now = timezone.now()
    due = OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED).exclude(
        next_attempt_at__gt=now
    )
    count = 0
    for message_id in due.values_list("pk", flat=True):
        send_outbound.delay(str(message_id))
        count += 1
    return count
