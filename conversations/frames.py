"""Every WebSocket frame, declared once: client -> server and server -> client.

Each frame is a TypedDict whose `type` is a literal; the server builds every frame it sends with
the builders below, `check` says whether a frame matches its declaration (the tests run it on
every frame they see), and `frontend/src/api/frames.gen.ts` is generated from this module
(`manage.py frames_typescript`), so the client's discriminated union cannot drift from it.
Adding a frame: declare it here, add it to CLIENT_FRAMES or SERVER_FRAMES, regenerate.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

from backend.accounts.people import Person
from conversations.client_frames import (
    CallAcceptFrameIn,
    CallDeclineFrameIn,
    CallHangupFrameIn,
    CallInviteFrameIn,
    CallSignalFrameIn,
    MessageAcknowledgeFrame,
    MessageDeleteFrame,
    MessageEditFrame,
    MessageSendFrame,
    PingFrame,
    PresenceQueryFrame,
    PresenceSetFrame,
    ReadFrameIn,
    SyncFrameIn,
    TypingFrameIn,
)
from conversations.payloads import (
    Acknowledgement,
    CallPayload,
    ConversationPayload,
    ExportPayload,
    MessagePayload,
    TeamMembership,
)
from conversations.typecheck import check_typed
from teleexpertise.payloads import TeleexpertiseRequestSummary

PresenceStatus = Literal["online", "away", "offline"]


class _Relayed:
    """The `answer_to` of a frame relayed to others: it gets no `ref` key at all."""


RELAYED = _Relayed()
AnswerTo = str | None | _Relayed


# --- server -> client ------------------------------------------------------------------------
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


CLIENT_FRAMES: dict[str, type] = {
    "message.send": MessageSendFrame,
    "message.edit": MessageEditFrame,
    "message.delete": MessageDeleteFrame,
    "message.acknowledge": MessageAcknowledgeFrame,
    "read": ReadFrameIn,
    "typing": TypingFrameIn,
    "sync": SyncFrameIn,
    "presence.set": PresenceSetFrame,
    "presence.query": PresenceQueryFrame,
    "ping": PingFrame,
    "call.invite": CallInviteFrameIn,
    "call.accept": CallAcceptFrameIn,
    "call.decline": CallDeclineFrameIn,
    "call.hangup": CallHangupFrameIn,
    "call.signal": CallSignalFrameIn,
}

SERVER_FRAMES: dict[str, type] = {
    "hello": HelloFrame,
    "message.new": MessageNewFrame,
    "message.updated": MessageUpdatedFrame,
    "message.ack": MessageAckFrame,
    "message.acknowledged": MessageAcknowledgedFrame,
    "message.reminder": MessageReminderFrame,
    "read": ReadFrame,
    "typing": TypingFrame,
    "presence": PresenceFrame,
    "presence.state": PresenceStateFrame,
    "pong": PongFrame,
    "conversation.new": ConversationNewFrame,
    "conversation.updated": ConversationUpdatedFrame,
    "conversation.removed": ConversationRemovedFrame,
    "sync": SyncFrame,
    "error": ErrorFrame,
    "session.ended": SessionEndedFrame,
    "call.ringing": CallRingingFrame,
    "call.invite": CallInviteFrame,
    "call.accept": CallAcceptFrame,
    "call.answered_elsewhere": CallAnsweredElsewhereFrame,
    "call.decline": CallDeclineFrame,
    "call.hangup": CallHangupFrame,
    "call.ended": CallEndedFrame,
    "call.signal": CallSignalFrame,
    "export.updated": ExportUpdatedFrame,
    "mssante.inbox": MssanteInboxFrame,
    "teleexpertise.updated": TeleexpertiseUpdatedFrame,
}


def check(frame: Any, *, from_client: bool = False) -> list[str]:
    """What is wrong with `frame` against its declaration (empty when it matches)."""
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return ["a frame is an object with a text `type`"]
    registry = CLIENT_FRAMES if from_client else SERVER_FRAMES
    declared = registry.get(frame["type"])
    if declared is None:
        return [f"undeclared frame type {frame['type']!r}"]
    return check_typed(frame, declared, frame["type"])


# --- builders (server -> client): the only way frames are made --------------------------------
def hello(user_id: Any, presence_by_user: dict[str, PresenceStatus]) -> HelloFrame:
    return {"type": "hello", "user": str(user_id), "presence": presence_by_user}


def message_new(message: MessagePayload) -> MessageNewFrame:
    return {"type": "message.new", "message": message}


def message_updated(message: MessagePayload) -> MessageUpdatedFrame:
    return {"type": "message.updated", "message": message}


def message_acknowledged(
    conversation_id: Any,
    message_id: Any,
    acknowledgement: Acknowledgement,
    *,
    answer_to: AnswerTo = RELAYED,
) -> MessageAcknowledgedFrame:
    frame: MessageAcknowledgedFrame = {
        "type": "message.acknowledged",
        "conversation": str(conversation_id),
        "message": str(message_id),
        "acknowledgement": acknowledgement,
    }
    if not isinstance(answer_to, _Relayed):
        frame["ref"] = answer_to
    return frame


def message_reminder(message: MessagePayload) -> MessageReminderFrame:
    return {"type": "message.reminder", "message": message}


def message_ack(client_id: str, message: MessagePayload, ref: str | None) -> MessageAckFrame:
    return {"type": "message.ack", "client_id": client_id, "message": message, "ref": ref}


def read(conversation_id: Any, user_id: Any, seq: int, reader: Reader | None = None) -> ReadFrame:
    frame: ReadFrame = {
        "type": "read",
        "conversation": str(conversation_id),
        "user": str(user_id),
        "seq": seq,
    }
    if reader is not None:
        frame["reader"] = reader
    return frame


def typing(conversation_id: Any, user_id: Any) -> TypingFrame:
    return {"type": "typing", "conversation": str(conversation_id), "user": str(user_id)}


def presence(user_id: Any, status: PresenceStatus) -> PresenceFrame:
    return {"type": "presence", "user": str(user_id), "status": status}


def presence_state(states: dict[str, PresenceStatus], ref: str | None) -> PresenceStateFrame:
    return {"type": "presence.state", "presence": states, "ref": ref}


def pong(ref: str | None) -> PongFrame:
    return {"type": "pong", "ref": ref}


def conversation_new(conversation: ConversationPayload) -> ConversationNewFrame:
    return {"type": "conversation.new", "conversation": conversation}


def conversation_updated(conversation: ConversationPayload) -> ConversationUpdatedFrame:
    return {"type": "conversation.updated", "conversation": conversation}


def conversation_removed(conversation_id: Any, reason: str) -> ConversationRemovedFrame:
    return {
        "type": "conversation.removed",
        "conversation": str(conversation_id),
        "reason": "left" if reason == "left" else "removed",
    }


def sync(
    messages: list[MessagePayload], more: bool, ref: str | None, unknown: list[str]
) -> SyncFrame:
    frame: SyncFrame = {"type": "sync", "messages": messages, "more": more, "ref": ref}
    if unknown:
        frame["unknown"] = unknown
    return frame


def error(
    code: str, message: str, ref: str | None = None, fields: dict[str, list[str]] | None = None
) -> ErrorFrame:
    frame: ErrorFrame = {"type": "error", "code": code, "message": message, "ref": ref}
    if fields:
        frame["fields"] = fields
    return frame


def session_ended(reason: str, message: str) -> SessionEndedFrame:
    return {"type": "session.ended", "reason": reason, "message": message}


def call_ringing(call: CallPayload, ref: str | None) -> CallRingingFrame:
    unreachable = call["state"] == "missed"
    return {"type": "call.ringing", "call": call, "ref": ref, "unreachable": unreachable}


def call_invite(call: CallPayload, from_user: Any) -> CallInviteFrame:
    return {"type": "call.invite", "call": call, "from": str(from_user)}


# The answer to the socket that sent a call frame carries its ref; the relayed copies do not.
def call_accept(call: CallPayload, user: Any, *, answer_to: AnswerTo = RELAYED) -> CallAcceptFrame:
    frame: CallAcceptFrame = {"type": "call.accept", "call": call, "user": str(user)}
    if not isinstance(answer_to, _Relayed):
        frame["ref"] = answer_to
    return frame


def call_answered_elsewhere(call: CallPayload) -> CallAnsweredElsewhereFrame:
    return {"type": "call.answered_elsewhere", "call": call}


def call_decline(
    call: CallPayload, user: Any, reason: str, *, answer_to: AnswerTo = RELAYED
) -> CallDeclineFrame:
    frame: CallDeclineFrame = {
        "type": "call.decline",
        "call": call,
        "user": str(user),
        "reason": reason,
    }
    if not isinstance(answer_to, _Relayed):
        frame["ref"] = answer_to
    return frame


def call_hangup(call: CallPayload, user: Any, *, answer_to: AnswerTo = RELAYED) -> CallHangupFrame:
    frame: CallHangupFrame = {"type": "call.hangup", "call": call, "user": str(user)}
    if not isinstance(answer_to, _Relayed):
        frame["ref"] = answer_to
    return frame


def call_ended(call: CallPayload) -> CallEndedFrame:
    return {"type": "call.ended", "call": call}


def call_signal(call_id: Any, from_user: Any, data: dict[str, Any]) -> CallSignalFrame:
    return {"type": "call.signal", "call": str(call_id), "from": str(from_user), "data": data}


def mssante_inbox(mailbox_id: Any, message_id: Any) -> MssanteInboxFrame:
    return {"type": "mssante.inbox", "mailbox": str(mailbox_id), "message": str(message_id)}


def export_updated(export: ExportPayload) -> ExportUpdatedFrame:
    return {"type": "export.updated", "export": export}


def teleexpertise_updated(request: TeleexpertiseRequestSummary) -> TeleexpertiseUpdatedFrame:
    return {"type": "teleexpertise.updated", "request": request}
