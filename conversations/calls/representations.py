"""What a call looks like to a client (the frames carrying it are declared in `frames`)."""

from __future__ import annotations

from conversations.calls.models import MAX_PARTICIPANTS, Call
from conversations.payloads import CallPayload


def call_json(call: Call) -> CallPayload:
    stretches = list(call.participants.order_by("joined_at"))
    return {
        "id": str(call.pk),
        "conversation": str(call.conversation_id),
        "state": call.state,  # type: ignore[typeddict-item]
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
