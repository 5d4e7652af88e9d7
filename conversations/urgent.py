"""Urgent messages that require acknowledgement (issue #18, item 8).

The sender marks a message urgent; every other participant (team mailbox members included)
presses « Pris en compte » once; each acknowledgement reaches every participant live
(`message.acknowledged`), so the sender sees who did and when. A message still not acknowledged
by everyone after URGENT_REMINDER_SECONDS is sent again, once, to those who have not
(`message.reminder`): a Celery task with that countdown, scheduled after commit, and a beat sweep
every minute for a task that was lost. `urgent_reminded_at`, set under the row lock, makes the
reminder idempotent whichever of the two runs it, however often.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.people import person
from backend.celery import enqueue
from backend.errors import Conflict, DomainError, Kind, NotFound
from conversations import events, frames
from conversations.access import access_conversation, participant_user_ids
from conversations.audit import audit_conversation
from conversations.models import Message, MessageAcknowledgement
from conversations.payloads import Acknowledgement
from conversations.representations import message_json

logger = logging.getLogger(__name__)
# An urgent message older than this is not reminded by the sweep any more (nor at all).
REMINDER_HORIZON = timedelta(days=1)


def schedule_reminder(message_id: uuid.UUID) -> None:
    """After commit: the reminder task, with the configured countdown."""

    def schedule() -> None:
        try:
            # By name: conversations.tasks imports the actions' modules (no import cycle).
            enqueue(
                "conversations.tasks.remind_urgent",
                str(message_id),
                countdown=settings.URGENT_REMINDER_SECONDS,
            )
        except Exception:
            # The beat sweep reminds it anyway.
            logger.exception("urgent: could not schedule the reminder", extra={"event": "urgent"})

    transaction.on_commit(schedule)


def message_for(user: Any, message_id: Any) -> Message:
    try:
        key = uuid.UUID(str(message_id))
    except ValueError as exc:
        raise NotFound("Message introuvable.") from exc
    message = Message.objects.select_related("conversation").filter(pk=key).first()
    if message is None:
        raise NotFound("Message introuvable.")
    access_conversation(user, message.conversation_id)  # one 404 for missing and not yours
    return message


class AckResult(NamedTuple):
    conversation: str
    message: str
    acknowledgement: Acknowledgement
    created: bool


@transaction.atomic
def acknowledge_message(user: Any, message_id: Any) -> AckResult:
    """« Pris en compte ». Pressing twice changes nothing (created is False)."""
    message = message_for(user, message_id)
    if not message.urgent:
        raise Conflict("not_urgent", "Ce message n'est pas urgent : rien à prendre en compte.")
    if message.sender_id == user.pk:
        raise DomainError("own_message", "Vous êtes l'auteur de ce message urgent.", Kind.FORBIDDEN)
    if message.deleted_at is not None:
        raise Conflict("message_deleted", "Ce message a été supprimé.")
    conversation = message.conversation

    def result(ack: MessageAcknowledgement, created: bool) -> AckResult:
        payload: Acknowledgement = {"user": person(user), "at": ack.acknowledged_at.isoformat()}
        return AckResult(str(conversation.pk), str(message.pk), payload, created)

    existing = MessageAcknowledgement.objects.filter(message=message, user=user).first()
    if existing is not None:
        return result(existing, False)
    try:
        with transaction.atomic():
            ack = MessageAcknowledgement.objects.create(
                message=message, user=user, acknowledged_at=timezone.now()
            )
    except IntegrityError:  # the same person from two devices at once: the first one stands
        return result(MessageAcknowledgement.objects.get(message=message, user=user), False)
    audit_conversation("message.acknowledged", user, conversation, message=str(message.pk))
    done = result(ack, True)
    frame = frames.message_acknowledged(
        conversation.pk,
        message.pk,
        done.acknowledgement,
        pending=len(pending_recipients(message)),
    )
    events.send_event_on_commit(participant_user_ids(conversation), frame)
    return done


def pending_recipients(message: Message) -> set[uuid.UUID]:
    """Who still has to acknowledge: every participant but the sender and those who did."""
    done = set(
        MessageAcknowledgement.objects.filter(message=message).values_list("user_id", flat=True)
    )
    return participant_user_ids(message.conversation) - done - {message.sender_id}


@transaction.atomic
def remind(message_id: Any) -> int:
    """Send the reminder once to those who have not acknowledged; returns how many got it."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation__patient")
        .filter(pk=message_id)
        .first()
    )
    if (
        message is None
        or not message.urgent
        or message.deleted_at is not None
        or message.urgent_reminded_at is not None
    ):
        return 0
    if message.created_at > timezone.now() - timedelta(seconds=settings.URGENT_REMINDER_SECONDS):
        return 0  # too early (an eager run, a clock skew): the sweep reminds it when due
    message.urgent_reminded_at = timezone.now()
    message.save(update_fields=["urgent_reminded_at"])
    pending = pending_recipients(message)
    audit_conversation(
        "message.urgent_reminded",
        None,
        message.conversation,
        message=str(message.pk),
        recipients=len(pending),
    )
    if pending:
        events.send_event_on_commit(pending, frames.message_reminder(message_json(message)))
    return len(pending)


def remind_overdue() -> int:
    """The beat sweep: urgent messages past their delay whose reminder never ran."""
    now = timezone.now()
    due = Message.objects.filter(
        urgent=True,
        urgent_reminded_at__isnull=True,
        deleted_at__isnull=True,
        created_at__lte=now - timedelta(seconds=settings.URGENT_REMINDER_SECONDS),
        created_at__gte=now - REMINDER_HORIZON,
    ).values_list("pk", flat=True)[:500]
    return sum(1 for pk in list(due) if remind(pk))
