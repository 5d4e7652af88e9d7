"""The objects frames carry (and the REST API returns): messages, conversations, calls, exports.
Declared as TypedDicts for the frame registry, the OpenAPI document and the generated client
types; the representation modules build them. Teleexpertise's are in `teleexpertise.payloads`."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from backend.accounts.people import Person


class AttachmentPayload(TypedDict):
    id: str
    name: str
    content_type: str
    size: int
    sha256: str


class TeamMembership(TypedDict):
    """A team mailbox through which a user takes part, and their role in it."""

    name: str
    role: str | None


class ReplyQuote(TypedDict):
    """The message a reply answers, as the reply quotes it (same conversation)."""

    id: str
    seq: int
    sender_name: str | None  # None for a system message
    excerpt: str  # the start of its text; empty when deleted (« Message supprimé »)
    deleted: bool


class Acknowledgement(TypedDict):
    """A recipient's « Pris en compte » of an urgent message."""

    user: Person
    at: str


class MessagePayload(TypedDict):
    id: str
    conversation: str
    seq: int
    kind: Literal["user", "system"]
    sender: Person | None
    client_id: str
    body: str
    attachments: list[AttachmentPayload]
    created_at: str
    edited_at: str | None
    deleted: bool
    team: TeamMembership | None  # written by a member of a team mailbox taking part
    reply_to: NotRequired[ReplyQuote | None]
    forwarded: NotRequired[bool]  # copied from another conversation (« Transféré »)
    urgent: NotRequired[bool]  # recipients must acknowledge it
    acknowledgements: NotRequired[list[Acknowledgement]]  # urgent only, in order
    # Urgent only: how many still have to acknowledge, counted by the server (each clinical
    # member of a team mailbox taking part is one; the client cannot know them).
    pending_acknowledgements: NotRequired[int]


class MailboxRef(TypedDict):
    address: str
    display_name: str


class UserParticipant(TypedDict):
    kind: Literal["user"]
    user: Person


class MailboxParticipant(TypedDict):
    kind: Literal["mailbox"]
    mailbox: MailboxRef


IdentityStatus = Literal["PROV", "RECUP", "VALI", "QUAL"]


class PatientRef(TypedDict):
    """The patient a conversation is about: the identity chip (DOMAIN.md: strict traits and the
    identity status), never the INS itself."""

    id: str
    display_name: str
    birth_name: str
    first_name: str
    birth_date: str  # ISO date
    sex: Literal["M", "F"]
    identity_status: IdentityStatus
    identity_status_label: str
    # The viewer may write to the patient by MSSanté from here: a qualified identity, in a
    # record their organisation keeps (the sending checks it again).
    writable: bool


class ReadMark(TypedDict):
    user: Person
    seq: int


class ConversationPayload(TypedDict):
    id: str
    kind: Literal["direct", "group"]
    title: str
    display_title: str
    patient: PatientRef | None
    participants: list[UserParticipant | MailboxParticipant]
    last_message: MessagePayload | None
    last_seq: int
    unread_count: int
    read_state: list[ReadMark]
    created_at: str
    last_activity_at: str
    # The viewer's own settings (nobody else sees them).
    muted: bool
    pinned: bool
    archived: bool
    # Who may remove others from a group (conversations/groups/rules.py); None for a one-to-one.
    group_admin: str | None


class CallStretch(TypedDict):
    user: str
    joined_at: str
    left_at: str | None


class CallPayload(TypedDict):
    id: str
    conversation: str
    state: Literal["ringing", "active", "ended", "missed", "declined"]
    started_by: str
    started_at: str
    answered_at: str | None
    ended_at: str | None
    duration_seconds: int | None
    joined: list[str]  # users in the call now, in joining order
    participants: list[CallStretch]
    max_participants: int


class ExportPayload(TypedDict):
    id: str
    conversation: str
    status: Literal["queued", "running", "done", "failed"]
    progress: int
    from_seq: int | None
    to_seq: int | None
    document_id: str
    download: str | None
    sha256: str | None  # of the PDF file (download integrity)
    # The one fingerprint shown to people: of the messages, printed in the PDF's footer.
    content_sha256: NotRequired[str | None]
    error: str | None
    created_at: str
    finished_at: str | None


# --- REST responses (the same objects, in their envelopes) ------------------------------------
class ConversationList(TypedDict):
    results: list[ConversationPayload]


class MessagesPage(TypedDict):
    messages: list[MessagePayload]
    has_more: bool


class AcknowledgeResult(TypedDict):
    conversation: str
    message: str
    acknowledgement: Acknowledgement
    created: bool  # False when this person had already acknowledged it


class ForwardedMail(TypedDict):
    id: str  # the MSSanté outbound message, to follow at /api/mssante/messages/{id}
    status: str


class ReadResult(TypedDict):
    conversation: str
    seq: int


class CallLog(TypedDict):
    results: list[CallPayload]


class IceServer(TypedDict):
    urls: list[str]
    username: NotRequired[str]  # TURN only: "<expiry>:<user id>"
    credential: NotRequired[str]


class IceServers(TypedDict):
    ice_servers: list[IceServer]
    ttl: int


class EchoAnswer(TypedDict):
    sdp: str
    type: str
    id: str
    expires_in: int
