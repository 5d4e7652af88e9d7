"""What a call looks like to a client, and the call frames (server -> client)."""

from __future__ import annotations

from typing import Any

from conversations.calls.models import MAX_PARTICIPANTS, Call

Json = dict[str, Any]


def call_json(call: Call) -> Json:
    stretches = list(call.participants.order_by("joined_at"))
    return {
        "id": str(call.pk),
        "conversation": str(call.conversation_id),
        "state": call.state,
        "started_by": str(call.started_by_id),
        "started_at": call.started_at.isoformat(),
        "answered_at": call.answered_at.isoformat() if call.answered_at else None,
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "duration_seconds": call.duration_seconds,
        # Users in the call now, in joining order: a newcomer sends an offer to each of them.
        "joined": [str(p.user_id) for p in stretches if p.left_at is None],
        "participants": [
            {
                "user": str(p.user_id),
                "joined_at": p.joined_at.isoformat(),
                "left_at": p.left_at.isoformat() if p.left_at else None,
            }
            for p in stretches
        ],
        "max_participants": MAX_PARTICIPANTS,
    }


def ringing_frame(call: Json, ref: str | None) -> Json:
    # A new call that comes back already missed found none of the others connected.
    unreachable = call["state"] == Call.State.MISSED
    return {"type": "call.ringing", "call": call, "ref": ref, "unreachable": unreachable}


def invite_frame(call: Json, from_user: Any) -> Json:
    return {"type": "call.invite", "call": call, "from": str(from_user)}


def accept_frame(call: Json, user: Any) -> Json:
    return {"type": "call.accept", "call": call, "user": str(user)}


def answered_elsewhere_frame(call: Json) -> Json:
    return {"type": "call.answered_elsewhere", "call": call}


def decline_frame(call: Json, user: Any, reason: str) -> Json:
    return {"type": "call.decline", "call": call, "user": str(user), "reason": reason}


def hangup_frame(call: Json, user: Any) -> Json:
    return {"type": "call.hangup", "call": call, "user": str(user)}


def ended_frame(call: Json) -> Json:
    return {"type": "call.ended", "call": call}


def signal_frame(call_id: Any, from_user: Any, data: Json) -> Json:
    return {"type": "call.signal", "call": str(call_id), "from": str(from_user), "data": data}
