"""The frames a client sends (client -> server), declared for the registry in `frames`. The
consumer validates them with the Ws* serializers; tests check both agree."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


class WithRef(TypedDict):
    """What every client frame may carry: `ref`, echoed in the answer (or the error frame)."""

    ref: NotRequired[str | None]


class MessageSendFrame(WithRef):
    type: Literal["message.send"]
    conversation: str
    client_id: str
    body: str
    attachments: NotRequired[list[str]]
    reply_to: NotRequired[str | None]  # a message of the same conversation, quoted
    urgent: NotRequired[bool]  # recipients must acknowledge it (« Pris en compte »)


class MessageEditFrame(WithRef):
    type: Literal["message.edit"]
    message: str
    body: str


class MessageDeleteFrame(WithRef):
    type: Literal["message.delete"]
    message: str


class MessageAcknowledgeFrame(WithRef):
    """« Pris en compte » of an urgent message by one of its recipients."""

    type: Literal["message.acknowledge"]
    message: str


class ReadFrameIn(WithRef):
    type: Literal["read"]
    conversation: str
    seq: int


class TypingFrameIn(WithRef):
    type: Literal["typing"]
    conversation: str


class SyncFrameIn(WithRef):
    type: Literal["sync"]
    cursors: dict[str, int]


class PresenceSetFrame(WithRef):
    type: Literal["presence.set"]
    status: Literal["online", "away"]


class PresenceQueryFrame(WithRef):
    type: Literal["presence.query"]
    users: list[str]


class PingFrame(WithRef):
    type: Literal["ping"]


class CallInviteFrameIn(WithRef):
    type: Literal["call.invite"]
    conversation: str


class CallAcceptFrameIn(WithRef):
    type: Literal["call.accept"]
    call: str


class CallDeclineFrameIn(WithRef):
    type: Literal["call.decline"]
    call: str
    reason: NotRequired[str]


class CallHangupFrameIn(WithRef):
    type: Literal["call.hangup"]
    call: str


class CallSignalFrameIn(WithRef):
    type: Literal["call.signal"]
    call: str
    to: str
    data: dict[str, Any]
