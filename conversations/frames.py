"""Every WebSocket frame, declared once: client -> server and server -> client.

Each frame is a TypedDict whose `type` is a literal; the server builds every frame it sends with
the builders below, `check` says whether a frame matches its declaration (the tests run it on
every frame they see), and `frontend/src/api/frames.gen.ts` is generated from this module
(`manage.py frames_typescript`), so the client's discriminated union cannot drift from it.
The declarations live in `client_frames` and `server_frames` (re-exported here); adding a frame:
declare it there, add it to CLIENT_FRAMES or SERVER_FRAMES and build it here, regenerate.
"""

from __future__ import annotations

from typing import Any

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
)
from conversations.server_frames import (
    CallAcceptFrame,
    CallAnsweredElsewhereFrame,
    CallDeclineFrame,
    CallEndedFrame,
    CallHangupFrame,
    CallInviteFrame,
    CallRingingFrame,
    CallSignalFrame,
    ConversationNewFrame,
    ConversationRemovedFrame,
    ConversationUpdatedFrame,
    ErrorFrame,
    ExportUpdatedFrame,
    HelloFrame,
    MessageAckFrame,
    MessageAcknowledgedFrame,
    MessageNewFrame,
    MessageReminderFrame,
    MessageUpdatedFrame,
    MssanteInboxFrame,
    PongFrame,
    PresenceFrame,
    PresenceStateFrame,
    PresenceStatus,
    Reader,
    ReadFrame,
    ResyncFrame,
    SessionEndedFrame,
    SyncFrame,
    TeleexpertiseUpdatedFrame,
    TypingFrame,
)
from conversations.typecheck import check_typed
from teleexpertise.payloads import TeleexpertiseRequestSummary


class _Relayed:
    """The `answer_to` of a frame relayed to others: it gets no `ref` key at all."""


RELAYED = _Relayed()
AnswerTo = str | None | _Relayed


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
    "resync": ResyncFrame,
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
    pending: int | None = None,
    answer_to: AnswerTo = RELAYED,
) -> MessageAcknowledgedFrame:
    frame: MessageAcknowledgedFrame = {
        "type": "message.acknowledged",
        "conversation": str(conversation_id),
        "message": str(message_id),
        "acknowledgement": acknowledgement,
    }
    if pending is not None:
        frame["pending"] = pending
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


def resync() -> ResyncFrame:
    return {"type": "resync"}


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
