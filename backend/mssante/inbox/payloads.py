"""What the inbox API answers (and the bodies it reads), declared for the OpenAPI document and
the client's generated types (see `backend.api.typed_schema`)."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

TeamState = Literal["todo", "taken", "done"]


class InboxMailbox(TypedDict):
    id: str
    address: str
    kind: Literal["PER", "ORG", "APP"]
    display_name: str
    unread: int
    todo: int
    state: str  # the connection's state, "never" without one
    state_detail: str


class InboxMailboxes(TypedDict):
    mailboxes: list[InboxMailbox]


# One mail in a list; without a clinical role the subject is a fixed notice. ("from" is a
# Python keyword: the functional form.)
InboxSummary = TypedDict(
    "InboxSummary",
    {
        "id": str,
        "mailbox": str,
        "from": str,
        "from_name": str,
        "received_at": str,
        "kind": Literal["mail", "dsn", "mdn", "auto"],
        "status": Literal["ok", "quarantined"],
        "team_state": TeamState,
        "taken_by": str | None,
        "unread": bool,
        "has_attachments": bool,
        "health_document": bool,
        "subject": str,
    },
)


class InboxMessages(TypedDict):
    messages: list[InboxSummary]


class InboxHistoryEntry(TypedDict):
    verb: str
    label: str
    actor: str | None
    at: str


class InboxPart(TypedDict):
    index: int
    filename: str
    content_type: str
    size: int


class InboxWarning(TypedDict):
    code: str
    message: str


class XdmDocument(TypedDict):
    uri: str
    title: str
    type_code: str
    type_display: str
    size: NotRequired[int]


class XdmIdentity(TypedDict):
    """The patient identity and documents a received IHE_XDM.ZIP carries (inbox/identity.py)."""

    ins: str
    ins_oid: str
    ins_oid_label: str
    ins_status: str  # valid | invalid_key | invalid | unknown_oid | absent
    ins_problem: str
    birth_name: str
    given_names: str
    first_name: str
    birth_date: str
    sex: str
    sex_label: str
    birth_place: str
    documents: list[XdmDocument]


class KnownPatient(TypedDict):
    """The patient of the reader's structures whom the XDM's INS matched."""

    id: str
    birth_name: str
    first_names: list[str]
    birth_date: str
    sex: str
    birth_place: str
    ins: str
    identity_status: str
    identity_status_label: str
    differences: list[str]


class InboxMail(InboxSummary):
    """One mail. The content keys are there only for a reader with a clinical role."""

    history: list[InboxHistoryEntry]
    quarantine_reason: NotRequired[str]
    to: NotRequired[list[str]]
    cc: NotRequired[list[str]]
    text: NotRequired[str]
    parts: NotRequired[list[InboxPart]]
    warnings: NotRequired[list[InboxWarning]]
    message_id: NotRequired[str]
    xdm: NotRequired[XdmIdentity | None]
    patient: NotRequired[str | None]
    patient_match: NotRequired[Literal["none", "matched", "offer", "invalid"]]
    patient_known: NotRequired[KnownPatient | None]


class InboxStateChange(TypedDict):
    action: Literal["take", "release", "done", "reopen"]


# "from": the sending mailbox (default: the one that received the mail); "to": forward only.
InboxReply = TypedDict(
    "InboxReply",
    {
        "mode": Literal["reply", "reply_all", "forward"],
        "text": str,
        "to": NotRequired[list[str]],
        "from": NotRequired[str],
        "read_receipt": NotRequired[bool],
    },
)


class InboxReplyQueued(TypedDict):
    id: str
    status: str


class InboxFiling(TypedDict):
    """Either a patient (the mail joins their record) or a conversation (its files are posted)."""

    patient: NotRequired[str]
    conversation: NotRequired[str]


class InboxFiled(TypedDict):
    patient: NotRequired[str]
    conversation: NotRequired[str]
    message: NotRequired[str]


class MailSettings(TypedDict):
    absence_start: str | None
    absence_end: str | None
    absence_text: str
    signature: str
