"""The audit event of anything that happens in a conversation: the patient it is about (so the
access journal finds it) and the conversation, never the content."""

from __future__ import annotations

from typing import Any

from django.db import models

from backend.audit import log as audit
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
    audit.record(
        verb,
        actor=actor,
        obj=obj if obj is not None else conversation,
        patient_id=conversation.patient_id,
        organization=conversation.patient.organization if conversation.patient else None,
        data=data,
    )
