"""The one door to the audit trail, called by actions inside their transaction."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from backend.audit.models import AuditEvent
from backend.observability import client_ip_var, current_request_id


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
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id is not None else obj.pk
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
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
