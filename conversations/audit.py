"""The audit event of anything that happens in a conversation: the patient it is about (so the
access journal finds it) and the conversation, never the content."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import models

from backend.audit import log as audit
from backend.audit.models import AuditEvent
from backend.observability import client_ip_var, current_request_id
from conversations.models import Conversation


def audit_conversation(
    verb: str,
    actor: Any,
    conversation: Conversation,
    *,
    obj: models.Model | None = None,
    **data: Any,
) -> None:
    """`obj` is what changed inside the conversation (a call, an export); the event then names
    the conversation too."""
    if obj is not None:
        data = {"conversation": str(conversation.pk), **data}
    audit.append(
        verb,
        actor=actor,
        obj=obj if obj is not None else conversation,
        patient_id=conversation.patient_id,
        organization=conversation.patient.organization if conversation.patient else None,
        data=data,
    )


def audit_conversations_shown(
    verb: str,
    actor: Any,
    conversations: Sequence[Conversation],
    data: Callable[[Conversation], dict[str, Any]] | None = None,
) -> None:
    """One event per conversation, as `audit_conversation` writes them, in one INSERT (a list of
    200 conversations about patients costs one statement, not 200); `data` gives each its own
    (a sync: how many messages of it were read)."""
    if not conversations:
        return
    request_id = current_request_id() or ""
    ip = client_ip_var.get()
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor_user,
                organization_id=c.patient.organization_id if c.patient else None,
                verb=verb,
                object_type=c._meta.label_lower,
                object_id=str(c.pk),
                patient_id=c.patient_id,
                request_id=request_id,
                ip=ip,
                data=data(c) if data else {},
            )
            for c in conversations
        ]
    )


def audit_chip_sent(conversation: Conversation, user_ids: Sequence[Any], frame: str) -> None:
    """A `conversation.new` or `conversation.updated` frame carries the patient chip: a read of
    the patient's identity by each user it goes to, as when their conversation list shows it.
    One event per user and frame sent (not per socket); callers leave out frames that send a
    chip the user already had."""
    if not conversation.patient_id or not user_ids:
        return
    request_id = current_request_id() or ""
    ip = client_ip_var.get()
    organization_id = conversation.patient.organization_id if conversation.patient else None
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_id=user_id,
                organization_id=organization_id,
                verb="conversation.list_read",
                object_type=conversation._meta.label_lower,
                object_id=str(conversation.pk),
                patient_id=conversation.patient_id,
                request_id=request_id,
                ip=ip,
                data={"frame": frame},
            )
            for user_id in user_ids
        ]
    )
