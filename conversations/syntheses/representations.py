"""What an export looks like to a client, its frame, and the audit of its changes."""

from __future__ import annotations

from typing import Any

from backend.audit import log as audit
from conversations import events
from conversations.models import Conversation
from conversations.syntheses.models import Export

Json = dict[str, Any]


def download_path(export: Export) -> str:
    return f"/api/exports/{export.pk}/download"


def export_json(export: Export) -> Json:
    done = export.status == Export.Status.DONE
    return {
        "id": str(export.pk),
        "conversation": str(export.conversation_id),
        "status": export.status,
        "progress": export.progress,
        "from_seq": export.from_seq,
        "to_seq": export.to_seq,
        "document_id": export.document_id,
        "download": download_path(export) if done else None,
        "sha256": export.sha256 or None,
        "error": export.error or None,
        "created_at": export.created_at.isoformat(),
        "finished_at": export.finished_at.isoformat() if export.finished_at else None,
    }


def export_updated(export: Json) -> Json:
    """Server -> client frame: the requester's export changed (progress, done, failed)."""
    return {"type": "export.updated", "export": export}


def notify(export: Export) -> None:
    events.send_event_on_commit([export.requested_by_id], export_updated(export_json(export)))


def audit_export(
    verb: str, actor: Any, export: Export, conversation: Conversation, **data: Any
) -> None:
    audit.record(
        verb,
        actor=actor,
        obj=export,
        patient_id=conversation.patient_id,
        organization=conversation.patient.organization if conversation.patient else None,
        data={"conversation": str(conversation.pk), **data},
    )
