"""State changes of the sending task: claim recipients, record each outcome, plan retries.

Each function is one short transaction; the SMTP I/O happens between them, never inside. A
recipient is claimed ("sending") before its mail leaves and marked "sent" right after, so a
re-run or a concurrent run of the task skips it: a request is sent at most once per recipient.
A claim older than ``MSSANTE_SENDING_LEASE_SECONDS`` (longer than the task's time limit) is
taken to be a crashed worker's and is sent again (same Message-ID, so the receiving client can
recognise the duplicate).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend import metrics
from backend.audit import log as audit
from backend.mssante.models import OutboundMessage, OutboundRecipient

__all__ = [
    "claim",
    "fail_remaining",
    "record_failed",
    "record_sent",
    "refresh_status",
    "release_for_retry",
    "retry_delays",
]

R = OutboundRecipient.Status


def retry_delays() -> tuple[int, ...]:
    """Seconds to wait before each retry; their count is the number of retries."""
    return tuple(int(d) for d in settings.MSSANTE_RETRY_DELAYS)


def _lease() -> timedelta:
    seconds = settings.MSSANTE_SENDING_LEASE_SECONDS
    return timedelta(seconds=int(seconds))


@transaction.atomic
def claim(message_id: uuid.UUID | str) -> tuple[OutboundMessage, list[OutboundRecipient]] | None:
    """Lock the message and mark its pending recipients "sending"; None when nothing to send."""
    message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        return None
    now = timezone.now()
    pending = list(
        message.recipients.select_for_update()
        .filter(Q(status=R.QUEUED) | Q(status=R.SENDING, claimed_at__lt=now - _lease()))
        .order_by("position")
    )
    if not pending:
        return None
    for recipient in pending:
        recipient.status, recipient.claimed_at = R.SENDING, now
    OutboundRecipient.objects.bulk_update(pending, ["status", "claimed_at"])
    return message, pending


def _audit_outcome(message: OutboundMessage, recipient: OutboundRecipient, verb: str) -> None:
    data: dict[str, str] = {"recipient": str(recipient.pk), "kind": recipient.kind}
    if verb == "mssante.failed":
        data["reason"] = recipient.reason
    audit.record(verb, obj=message, patient_id=message.patient_id, data=data)
    metrics.inc("liaison_mssante_sends_total", status=verb.removeprefix("mssante."))


def refresh_status(message: OutboundMessage) -> None:
    statuses = set(message.recipients.values_list("status", flat=True))
    done = {R.SENT, R.DELIVERED, R.READ}
    if statuses <= done:
        status = OutboundMessage.Status.SENT
    elif statuses & {R.QUEUED, R.SENDING}:
        status = OutboundMessage.Status.QUEUED
    elif statuses & done:
        status = OutboundMessage.Status.PARTIAL
    else:
        status = OutboundMessage.Status.FAILED
    fields = []
    if status != message.status:
        message.status = status
        fields.append("status")
    if status != OutboundMessage.Status.QUEUED and message.next_attempt_at is not None:
        message.next_attempt_at = None
        fields.append("next_attempt_at")
    if fields:
        message.save(update_fields=fields)


@transaction.atomic
def record_sent(message: OutboundMessage, recipient: OutboundRecipient, response: str) -> None:
    recipient.status, recipient.sent_at = R.SENT, timezone.now()
    recipient.smtp_response, recipient.reason = response[:500], ""
    recipient.save(update_fields=["status", "sent_at", "smtp_response", "reason"])
    _audit_outcome(message, recipient, "mssante.sent")
    refresh_status(message)


@transaction.atomic
def record_failed(message: OutboundMessage, recipient: OutboundRecipient, reason: str) -> None:
    recipient.status, recipient.reason = R.FAILED, reason[:500]
    recipient.save(update_fields=["status", "reason"])
    _audit_outcome(message, recipient, "mssante.failed")
    refresh_status(message)


@transaction.atomic
def fail_remaining(message_id: uuid.UUID | str, reason: str) -> None:
    """Final failure of every recipient still waiting (retries exhausted)."""
    message = OutboundMessage.objects.select_for_update().get(pk=message_id)
    waiting = message.recipients.select_for_update().filter(status__in=[R.QUEUED, R.SENDING])
    for recipient in waiting:
        recipient.status, recipient.reason = R.FAILED, reason[:500]
        recipient.save(update_fields=["status", "reason"])
        _audit_outcome(message, recipient, "mssante.failed")
    message.next_attempt_at = None
    message.save(update_fields=["next_attempt_at"])
    refresh_status(message)


@transaction.atomic
def release_for_retry(
    message_id: uuid.UUID | str, recipients: list[OutboundRecipient], reason: str
) -> int | None:
    """Put ``recipients`` back in the queue after a temporary failure.

    Returns the delay before the next attempt, or None when the retries are exhausted (the
    recipients then fail for good, with the last reason).
    """
    message = OutboundMessage.objects.select_for_update().get(pk=message_id)
    message.attempts += 1
    message.last_error = reason[:500]
    delays = retry_delays()
    OutboundRecipient.objects.filter(pk__in=[r.pk for r in recipients], status=R.SENDING).update(
        status=R.QUEUED, claimed_at=None, reason=reason[:500]
    )
    if message.attempts > len(delays):
        message.save(update_fields=["attempts", "last_error"])
        fail_remaining(message.pk, f"Échec après {message.attempts} tentatives : {reason}")
        return None
    delay = delays[message.attempts - 1]
    message.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    return delay
