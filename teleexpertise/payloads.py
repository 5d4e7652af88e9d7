"""The teleexpertise objects the API returns and the `teleexpertise.updated` frame carries,
declared as TypedDicts (see `conversations.payloads`); `representations` builds them."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from backend.accounts.people import Person
from conversations.payloads import AttachmentPayload


class Party(Person):
    """A requester or an expert: the person and their professional identifiers."""

    rpps: str | None
    specialty: str


class TeamRef(TypedDict):
    id: str
    address: str
    display_name: str


class PatientIdentity(TypedDict):
    id: str
    display_name: str
    birth_name: str
    first_names: list[str]
    used_name: str
    birth_date: str | None
    sex: str
    identity_status: str
    ins: str | None


class ConsentPayload(TypedDict):
    method: str
    collected_at: str | None
    collected_by: Person | None
    patient_informed: bool
    consenter: str
    representative_name: str | None
    representative_quality: str | None
    document: str | None
    withdrawn_at: str | None
    withdrawn_by: Person | None


class ActPayload(TypedDict):
    id: str
    code: str
    act_date: str | None
    amount: str
    status: str
    slot: int
    year: int


class ActRefusal(TypedDict):
    code: str
    reason: str
    message: str


class TeleexpertiseRequestSummary(TypedDict):
    """A request without its clinical content (question, report): what frames carry."""

    id: str
    reference: str
    status: Literal["submitted", "accepted", "declined", "answered", "filed", "closed"]
    urgency: str
    specialty: str
    requester: Party
    expert: Party | None  # a team request has no expert until one of the team takes it
    team: TeamRef | None
    patient: PatientIdentity
    conversation: str
    created_at: str | None
    updated_at: str | None
    accepted_at: str | None
    declined_at: str | None
    answered_at: str | None
    filed_at: str | None
    closed_at: str | None
    closed_reason: str | None
    due_at: str | None
    overdue: bool
    consent: ConsentPayload | None
    acts: list[ActPayload]
    act_refusals: list[ActRefusal]
    report_pdf: str | None


class QuotaUsage(TypedDict):
    used: int
    limit: int
    year: int


class ReportPayload(TypedDict):
    context: str
    question: str
    answer: str
    conclusion: str
    recommendations: str
    written_at: str | None


class Delivery(TypedDict):
    address: str
    role: str
    label: str
    name: str
    status: str
    reason: str | None
    sent_at: str | None
    read_at: str | None


class TeleexpertiseRequestDetail(TeleexpertiseRequestSummary):
    """The whole request, clinical content included (for its two parties)."""

    question: str
    attachments: list[AttachmentPayload]
    decline_reason: str | None
    quota: dict[str, QuotaUsage]
    deliveries: list[Delivery]
    report: ReportPayload | None


class RequestEnvelope(TypedDict):
    request: TeleexpertiseRequestDetail


class RequestList(TypedDict):
    requests: list[TeleexpertiseRequestDetail]


class ExpertPayload(Party):
    description: str
    prerequisites: str
    accepting: bool
    published: bool
    quota: NotRequired[dict[str, QuotaUsage]]  # with ?patient=: the TE2 usage for that patient


class ExpertList(TypedDict):
    experts: list[ExpertPayload]
    quota: NotRequired[dict[str, QuotaUsage]]  # with ?patient=: the caller's RQD usage


class MyExpertProfile(TypedDict):
    expert: ExpertPayload | None


class PendingCount(TypedDict):
    pending: int


class PlannedRecipient(TypedDict):
    role: str
    label: str
    name: str
    address: str


class Choice(TypedDict):
    value: str
    label: str


class FilingPreview(TypedDict):
    recipients: list[PlannedRecipient]
    visibilities: list[Choice]
    default_visibility: str
    patient_is_minor: bool
    acts: dict[str, QuotaUsage]


class BilledProfessional(TypedDict):
    id: str
    display_name: str
    rpps: str
    am_number: str


class BilledPatient(TypedDict):
    birth_name: str
    first_names: list[str]
    birth_date: str
    sex: str
    ins: str | None


class ActRow(TypedDict):
    """A declared act as billing staff see it: no clinical content."""

    id: str
    reference: str
    code: str
    act_date: str
    amount: str
    status: str
    note: str
    professional: BilledProfessional
    prescriber_am_number: str | None
    request_date: str
    patient: BilledPatient
    status_changed_at: str | None


class ActTotals(TypedDict):
    count: int
    amount: str
    by_code: dict[str, str]
    by_status: dict[str, str]


class ActPage(TypedDict):
    acts: list[ActRow]
    count: int
    limit: int
    offset: int
    totals: ActTotals


class ActEnvelope(TypedDict):
    act: ActRow


class ActRefused(TypedDict):
    id: str
    code: str
    message: str


class ActBulkResult(TypedDict):
    acts: list[ActRow]  # the acts that changed
    refused: list[ActRefused]
