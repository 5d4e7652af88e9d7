"""What an export looks like to a client, its frame, and the audit of its changes."""

from __future__ import annotations

from typing import Any

from conversations import events, frames
from conversations.audit import audit_conversation
from conversations.models import Conversation
from conversations.payloads import ExportPayload
from conversations.syntheses.models import Export

Json = dict[str, Any]


def download_path(export: Export) -> str:
    return f"/api/exports/{export.pk}/download"


def export_json(export: Export) -> ExportPayload:
    done = export.status == Export.Status.DONE
    return {
        "id": str(export.pk),
        "conversation": str(export.conversation_id),
        "status": export.status,  # type: ignore[typeddict-item]
        "progress": export.progress,
        "from_seq": export.from_seq,
        "to_seq": export.to_seq,
        "document_id": export.document_id,
        "download": download_path(export) if done else None,
        "sha256": export.sha256 or None,
        "content_sha256": export.content_sha256 or None,
        "error": export.error or None,
        "created_at": export.created_at.isoformat(),
        "finished_at": export.finished_at.isoformat() if export.finished_at else None,
    }


def notify(export: Export) -> None:
    events.send_event_on_commit(
        [export.requested_by_id], frames.export_updated(export_json(export))
    )


def audit_export(
    verb: str, actor: Any, export: Export, conversation: Conversation, **data: Any
) -> None:
    audit_conversation(verb, actor, conversation, obj=export, **data)
