"""The frames a client sends (client -> server), declared for the registry in `frames`. The
consumer validates them with the Ws* serializers; tests check both agree."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


class MessageSendFrame(TypedDict):
    type: Literal["message.send"]
    conversation: str
    client_id: str
    body: str
    attachments: NotRequired[list[str]]
    reply_to: NotRequired[str | None]  # a message of the same conversation, quoted
    urgent: NotRequired[bool]  # recipients must acknowledge it (« Pris en compte »)
    ref: NotRequired[str | None]


class MessageEditFrame(TypedDict):
    type: Literal["message.edit"]
    message: str
    body: str
    ref: NotRequired[str | None]


class MessageDeleteFrame(TypedDict):
    type: Literal["message.delete"]
    message: str
    ref: NotRequired[str | None]


class MessageAcknowledgeFrame(TypedDict):
    """« Pris en compte » of an urgent message by one of its recipients."""

    type: Literal["message.acknowledge"]
    message: str
    ref: NotRequired[str | None]


class ReadFrameIn(TypedDict):
    type: Literal["read"]
    conversation: str
    seq: int
    ref: NotRequired[str | None]


class TypingFrameIn(TypedDict):
    type: Literal["typing"]
    conversation: str
    ref: NotRequired[str | None]


class SyncFrameIn(TypedDict):
    type: Literal["sync"]
    cursors: dict[str, int]
    ref: NotRequired[str | None]


class PresenceSetFrame(TypedDict):
    type: Literal["presence.set"]
    status: Literal["online", "away"]
    ref: NotRequired[str | None]


class PresenceQueryFrame(TypedDict):
    type: Literal["presence.query"]
    users: list[str]
    ref: NotRequired[str | None]


class PingFrame(TypedDict):
    type: Literal["ping"]
    ref: NotRequired[str | None]


class CallInviteFrameIn(TypedDict):
    type: Literal["call.invite"]
    conversation: str
    ref: NotRequired[str | None]


class CallAcceptFrameIn(TypedDict):
    type: Literal["call.accept"]
    call: str
    ref: NotRequired[str | None]


class CallDeclineFrameIn(TypedDict):
    type: Literal["call.decline"]
    call: str
    reason: NotRequired[str]
    ref: NotRequired[str | None]


class CallHangupFrameIn(TypedDict):
    type: Literal["call.hangup"]
    call: str
    ref: NotRequired[str | None]


class CallSignalFrameIn(TypedDict):
    type: Literal["call.signal"]
    call: str
    to: str
    data: dict[str, Any]
    ref: NotRequired[str | None]
