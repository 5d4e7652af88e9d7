"""What the access journal and the message history answer, declared for the OpenAPI document
(see `backend.api.typed_schema`)."""

from __future__ import annotations

from typing import Any, TypedDict


class JournalPatient(TypedDict):
    id: str
    display_name: str
    birth_date: str
    sex: str
    ins: str | None


class JournalPatients(TypedDict):
    patients: list[JournalPatient]


class JournalEvent(TypedDict):
    id: int
    at: str
    actor: str | None
    actor_name: str | None
    verb: str
    label: str
    object_type: str
    object_id: str
    patient_id: str | None
    ip: str | None
    data: dict[str, Any]


class JournalAction(TypedDict):
    verb: str
    label: str


class JournalEvents(TypedDict):
    events: list[JournalEvent]
    count: int
    actions: list[JournalAction]


class MessageVersion(TypedDict):
    change: str
    body: str
    written_at: str
    replaced_at: str


class MessageVersions(TypedDict):
    message: str
    conversation: str
    versions: list[MessageVersion]
