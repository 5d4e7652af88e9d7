"""The frames the server sends (server -> client), declared for the registry in `frames`, which
builds every one of them; the client's are in `client_frames`."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from backend.accounts.people import Person
from conversations.payloads import (
    Acknowledgement,
    CallPayload,
    ConversationPayload,
    ExportPayload,
    MessagePayload,
    TeamMembership,
)
from teleexpertise.payloads import TeleexpertiseRequestSummary

PresenceStatus = Literal["online", "away", "offline"]


class HelloFrame(TypedDict):
    type: Literal["hello"]
    user: str
    presence: dict[str, PresenceStatus]


class MessageNewFrame(TypedDict):
    type: Literal["message.new"]
    message: MessagePayload


class MessageUpdatedFrame(TypedDict):
    type: Literal["message.updated"]
    message: MessagePayload


class MessageAcknowledgedFrame(TypedDict):
    """A recipient pressed « Pris en compte » on an urgent message (to every participant)."""

    type: Literal["message.acknowledged"]
    conversation: str
    message: str
    acknowledgement: Acknowledgement
    pending: NotRequired[int]  # how many still have to acknowledge it, after this one
    ref: NotRequired[str | None]  # only in the answer to the socket that acknowledged


class MessageReminderFrame(TypedDict):
    """An urgent message still not acknowledged after URGENT_REMINDER_SECONDS: sent once to the
    recipients who have not acknowledged it."""

    type: Literal["message.reminder"]
    message: MessagePayload


class MessageAckFrame(TypedDict):
    type: Literal["message.ack"]
    client_id: str
    message: MessagePayload
    ref: str | None


class Reader(Person):
    team: TeamMembership | None


class ReadFrame(TypedDict):
    type: Literal["read"]
    conversation: str
    user: str
    seq: int
    # Who read, in full: a team mailbox member is not among the conversation's participants,
    # and the others' « Vu par » must name them live, whenever they joined the team.
    reader: NotRequired[Reader]


class TypingFrame(TypedDict):
    type: Literal["typing"]
    conversation: str
    user: str


class PresenceFrame(TypedDict):
    type: Literal["presence"]
    user: str
    status: PresenceStatus


class PresenceStateFrame(TypedDict):
    type: Literal["presence.state"]
    presence: dict[str, PresenceStatus]
    ref: str | None


class PongFrame(TypedDict):
    type: Literal["pong"]
    ref: str | None


class ConversationNewFrame(TypedDict):
    type: Literal["conversation.new"]
    conversation: ConversationPayload


class ConversationUpdatedFrame(TypedDict):
    """A conversation the user still sees changed: participants, name, patient, or (on their
    other devices) their own mute, pin, archive. The whole conversation, as the user sees it."""

    type: Literal["conversation.updated"]
    conversation: ConversationPayload


class ConversationRemovedFrame(TypedDict):
    """The user no longer sees this conversation (they left, or were removed): drop it."""

    type: Literal["conversation.removed"]
    conversation: str
    reason: Literal["left", "removed"]


class SyncFrame(TypedDict):
    type: Literal["sync"]
    messages: list[MessagePayload]
    more: bool
    ref: str | None
    unknown: NotRequired[list[str]]  # conversation ids the user cannot read (or never existed)


class ResyncFrame(TypedDict):
    """Live events may have been lost (the server's channel layer reconnected to Redis): the
    client syncs from its cursors, as after a reconnection of its own socket."""

    type: Literal["resync"]


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    ref: str | None
    fields: NotRequired[dict[str, list[str]]]


class SessionEndedFrame(TypedDict):
    """The session is over (logout, password change, deactivation...): the socket closes next."""

    type: Literal["session.ended"]
    reason: str
    message: str


class CallRingingFrame(TypedDict):
    type: Literal["call.ringing"]
    call: CallPayload
    ref: str | None
    unreachable: bool  # a new call that comes back already missed found none of the others


# "from" is a Python keyword: these frames use the functional syntax.
CallInviteFrame = TypedDict(
    "CallInviteFrame", {"type": Literal["call.invite"], "call": CallPayload, "from": str}
)


class CallAcceptFrame(TypedDict):
    type: Literal["call.accept"]
    call: CallPayload
    user: str
    ref: NotRequired[str | None]  # only in the answer to the socket that accepted


class CallAnsweredElsewhereFrame(TypedDict):
    type: Literal["call.answered_elsewhere"]
    call: CallPayload


class CallDeclineFrame(TypedDict):
    type: Literal["call.decline"]
    call: CallPayload
    user: str
    reason: str
    ref: NotRequired[str | None]


class CallHangupFrame(TypedDict):
    type: Literal["call.hangup"]
    call: CallPayload
    user: str
    ref: NotRequired[str | None]


class CallEndedFrame(TypedDict):
    type: Literal["call.ended"]
    call: CallPayload


CallSignalFrame = TypedDict(
    "CallSignalFrame",
    {"type": Literal["call.signal"], "call": str, "from": str, "data": dict[str, Any]},
)


class MssanteInboxFrame(TypedDict):
    """A mail arrived in one of the user's MSSanté mailboxes (ids only: nothing of its content)."""

    type: Literal["mssante.inbox"]
    mailbox: str
    message: str


class ExportUpdatedFrame(TypedDict):
    type: Literal["export.updated"]
    export: ExportPayload


class TeleexpertiseUpdatedFrame(TypedDict):
    type: Literal["teleexpertise.updated"]
    request: TeleexpertiseRequestSummary
