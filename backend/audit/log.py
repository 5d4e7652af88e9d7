"""The one door to the audit trail, called by actions inside their transaction."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from backend.audit.models import AuditEvent
from backend.compiled import CompiledInsert
from backend.observability import client_ip_var, current_request_id


def build_event(
    verb: str,
    actor: Any,
    obj: models.Model | None,
    object_type: str,
    object_id: str | uuid.UUID | None,
    patient_id: uuid.UUID | str | None,
    organization: Any,
    data: dict[str, Any] | None,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id is not None else obj.pk
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        actor=actor_user,
        organization=organization,
        verb=verb,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        patient_id=patient_id,
        request_id=current_request_id() or "",
        ip=client_ip_var.get(),
        data=data or {},
    )


def record(
    verb: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | uuid.UUID | None = None,
    patient_id: uuid.UUID | str | None = None,
    organization: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    event = build_event(verb, actor, obj, object_type, object_id, patient_id, organization, data)
    event.save(force_insert=True)
    return event


# The hot paths' audit rows (a message sent: issue #21) skip the model save machinery.
_INSERT = CompiledInsert(AuditEvent)


def append(
    verb: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    patient_id: uuid.UUID | str | None = None,
    organization: Any = None,
    data: dict[str, Any] | None = None,
) -> None:
    """`record` for callers that do not need the event back: the same row, one plain INSERT
    (the event's id is not read back)."""
    _INSERT.save(build_event(verb, actor, obj, "", None, patient_id, organization, data))
