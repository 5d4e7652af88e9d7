"""What every teleexpertise action shares: its audit event (ids and codes, never the question
nor the report), the system message and the ``teleexpertise.updated`` frame after commit, and
the checks of who may act and in which state."""

from __future__ import annotations

from typing import Any

from backend.audit import log as audit
from backend.errors import Conflict, DomainError, Kind
from conversations import actions as conversation_actions
from conversations import events, frames
from conversations.frames import TeleexpertiseUpdatedFrame
from teleexpertise.access import party_user_ids
from teleexpertise.models import TeleexpertiseRequest
from teleexpertise.representations import request_summary


def updated_frame(request: TeleexpertiseRequest) -> TeleexpertiseUpdatedFrame:
    return frames.teleexpertise_updated(request_summary(request))


def audit_request(verb: str, actor: Any, request: TeleexpertiseRequest, **data: Any) -> None:
    audit.record(
        verb,
        actor=actor,
        obj=request,
        patient_id=request.patient_id,
        organization=request.patient.organization,
        data={"reference": request.reference, "status": request.status, **data},
    )


def notify(request: TeleexpertiseRequest, text: str | None) -> None:
    if text:
        conversation_actions.post_system_message(request.conversation_id, text)
    events.send_event_on_commit(party_user_ids(request), updated_frame(request))


def require_expert_of(actor: Any, request: TeleexpertiseRequest) -> None:
    if request.expert_id != actor.pk:
        raise DomainError(
            "forbidden",
            "Seul l'expert sollicité peut effectuer cette action.",
            Kind.FORBIDDEN,
        )


def require_status(request: TeleexpertiseRequest, *allowed: str) -> None:
    if request.status not in allowed:
        raise Conflict(
            "invalid_state",
            f"Action impossible : la demande est « {request.get_status_display().lower()} ».",
        )
