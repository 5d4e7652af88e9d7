"""Earlier versions of edited or deleted messages, for the audit.

Only the administrators of an organisation the sender belongs to (or of the organisation of the
conversation's patient) read them; participants never do — they see the current text or
« Message supprimé ». Reading a version is a read of patient data and is itself recorded.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q

from backend.accounts.access import organization_ids
from backend.accounts.models import Membership
from backend.audit import log as audit
from backend.errors import DomainError, Kind, NotFound
from conversations.models import Message, MessageVersion


def versions_for(user: Any, message_id: Any) -> tuple[Message, list[MessageVersion]]:
    orgs = organization_ids(user, {Membership.Role.ADMIN})
    if not orgs:
        raise DomainError(
            "forbidden", "Réservé aux administrateurs de la structure.", Kind.FORBIDDEN
        )
    try:
        key = uuid.UUID(str(message_id))
    except ValueError as exc:
        raise NotFound("Message introuvable.") from exc
    senders = Membership.objects.filter(organization_id__in=orgs).values("professional__user_id")
    message = (
        Message.objects.select_related("conversation__patient")
        .filter(pk=key)
        .filter(Q(sender_id__in=senders) | Q(conversation__patient__organization_id__in=orgs))
        .first()
    )
    if message is None:
        raise NotFound("Message introuvable.")
    versions = list(message.versions.order_by("replaced_at", "id"))
    patient = message.conversation.patient
    with transaction.atomic():
        audit.record(
            "message.versions_read",
            actor=user,
            obj=message,
            patient_id=patient.pk if patient else None,
            organization=patient.organization if patient else None,
            data={"versions": len(versions)},
        )
    return message, versions


def version_json(version: MessageVersion) -> dict[str, Any]:
    return {
        "change": version.change,
        "body": version.body,
        "written_at": version.written_at.isoformat(),
        "replaced_at": version.replaced_at.isoformat(),
    }
