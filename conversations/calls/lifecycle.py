"""How a call ends, shared by the call actions and the expiry task.

Locks (in the order of backend/locks.py): a Call row, then its conversation (the system
message takes the conversation's seq lock). A ringing call left unanswered for
CALL_RING_SECONDS ends as missed, by one timer, chosen by `socket_owns_expiry`:
- with a shared channel layer (Redis: production, tests with services), the Celery countdown
  task scheduled at invite time: a queued task survives a daphne restart, a socket's timer would
  not, and its `call.ended` reaches every daphne process;
- with the in-memory layer (the embedded mode, one daphne process), the caller's socket timer:
  a worker's frames could not reach the sockets there, and the call would ring on screen.
Besides, every action or read about a call checks the ring time first, so a late answer or a
call log never sees a call ringing past its time. All are `expire_if_unanswered`, made
idempotent by the call's row lock: whichever comes first ends the call, the others find it ended
and do nothing, so there is one « Appel manqué » (tests/integration/test_call_reachability.py).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from backend.errors import Conflict, NotFound
from conversations import actions, events, frames, presence
from conversations.access import conversations_for, participant_user_ids
from conversations.audit import audit_conversation
from conversations.calls.models import Call, CallParticipant
from conversations.calls.representations import call_json
from conversations.models import Conversation

FINISHED = (Call.State.ENDED, Call.State.MISSED, Call.State.DECLINED)


def ring_seconds() -> int:
    return int(settings.CALL_RING_SECONDS)


def socket_owns_expiry() -> bool:
    """True where the channel layer lives in the daphne process (see the module's docstring)."""
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    return str(backend).endswith("InMemoryChannelLayer")


def audit_call(verb: str, actor: Any, call: Call, conversation: Conversation, **data: Any) -> None:
    audit_conversation(verb, actor, conversation, obj=call, **data)


def call_key(call_id: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(call_id))
    except ValueError as exc:
        raise NotFound("Appel introuvable.") from exc


def locked_call(user: Any, call_id: Any) -> Call:
    """The call, locked, if the user takes part in its conversation; one "not found" otherwise."""
    actions.require_clinician(user)
    key = call_key(call_id)
    if not Call.objects.filter(pk=key, conversation__in=conversations_for(user)).exists():
        raise NotFound("Appel introuvable.")
    return Call.objects.select_for_update().get(pk=key)


def conversation_of(call: Call) -> Conversation:
    return Conversation.objects.select_related("patient__organization").get(pk=call.conversation_id)


def joined(call: Call) -> QuerySet[CallParticipant]:
    return CallParticipant.objects.filter(call=call, left_at__isnull=True)


def require_open(call: Call) -> None:
    if call.state in FINISHED:
        raise Conflict("call_ended", "Cet appel est terminé.")


def nobody_reachable(user_ids: set[Any]) -> bool:
    """True when none of these users has a live socket (their presence is « hors ligne »)."""
    if not user_ids:
        return False
    return all(state == presence.OFFLINE for state in presence.status_of(user_ids).values())


def duration_label(seconds: int) -> str:
    if seconds < 60:
        return "moins d'une minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"


def _system_text(call: Call) -> str:
    if call.state == Call.State.DECLINED:
        return "Appel refusé"
    if call.state == Call.State.ENDED and call.duration_seconds is not None:
        return f"Appel vidéo — {duration_label(call.duration_seconds)}"
    return "Appel manqué"


def close(call: Call, state: str) -> None:
    """The caller holds the lock on `call`."""
    now = timezone.now()
    call.state = state
    call.ended_at = now
    call.save(update_fields=["state", "ended_at"])
    joined(call).update(left_at=now)


def announce_end(call: Call, actor: Any, conversation: Conversation) -> None:
    audit_call(
        "call.ended", actor, call, conversation, state=call.state, duration=call.duration_seconds
    )
    events.send_event_on_commit(
        participant_user_ids(conversation), frames.call_ended(call_json(call))
    )
    actions.post_system_message(conversation.pk, _system_text(call))


def expire_if_unanswered(call_id: Any, *, now: datetime.datetime | None = None) -> bool:
    """Ends a call still ringing after the ring time as missed. Idempotent; True if it did."""
    try:
        key = uuid.UUID(str(call_id))
    except ValueError:
        return False
    now = now or timezone.now()
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=key).first()
        if call is None or call.state != Call.State.RINGING:
            return False
        if now < call.started_at + datetime.timedelta(seconds=ring_seconds()):
            return False
        close(call, Call.State.MISSED)
        announce_end(call, None, conversation_of(call))
        return True


def expire_overdue_in(conversation_id: Any) -> None:
    ringing = Call.objects.filter(conversation_id=conversation_id, state=Call.State.RINGING)
    for call_id in list(ringing.values_list("pk", flat=True)):
        expire_if_unanswered(call_id)
