"""Video calls: every change to a call, one transaction each, audit inside, frames after commit.

Locks (in the order of backend/locks.py): a Call row, then its conversation. `invite` locks
only the conversation and reads calls without locking.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.errors import Conflict, DomainError, Kind
from conversations import actions, events, frames
from conversations.access import access_conversation, participant_user_ids
from conversations.audit import audit_conversation
from conversations.calls import lifecycle
from conversations.calls.lifecycle import (
    FINISHED,
    audit_call,
    conversation_of,
    expire_if_unanswered,
    joined,
    locked_call,
    require_open,
)
from conversations.calls.models import MAX_PARTICIPANTS, Call, CallParticipant
from conversations.calls.representations import call_json
from conversations.calls.tasks import expire_unanswered_call
from conversations.payloads import CallPayload

logger = logging.getLogger(__name__)
Json = dict[str, Any]

CALL_LOG_LIMIT = 100


def _schedule_expiry(call_id: uuid.UUID) -> None:
    if lifecycle.socket_owns_expiry():
        return  # the caller's socket timer owns it (lifecycle's docstring says why)
    if expire_unanswered_call.app.conf.task_always_eager:
        return  # eager mode ignores the countdown; the lazy expiry does the job
    try:
        expire_unanswered_call.apply_async((str(call_id),), countdown=lifecycle.ring_seconds() + 1)
    except Exception:
        # The lazy expiry still ends it: any frame or read about the call checks the ring time.
        logger.exception("call expiry not scheduled", extra={"event": "call.invite"})


def invite(user: Any, conversation_id: Any, channel_name: str = "") -> Call:
    """Starts a call that rings on every socket of the other participants."""
    actions.require_clinician(user)
    access_conversation(user, conversation_id)
    lifecycle.expire_overdue_in(conversation_id)
    return _invite(user, conversation_id, channel_name)


@transaction.atomic
def _invite(user: Any, conversation_id: Any, channel_name: str) -> Call:
    # The conversation lock makes two simultaneous invites start one call, not two.
    conversation = access_conversation(user, conversation_id, for_update=True)
    ongoing = Call.objects.filter(
        conversation=conversation, state__in=[Call.State.RINGING, Call.State.ACTIVE]
    ).first()
    if ongoing is not None:
        raise DomainError(
            "call_in_progress",
            "Un appel est déjà en cours dans cette conversation : rejoignez-le.",
            Kind.CONFLICT,
            fields={"call": [str(ongoing.pk)]},
        )
    call = Call.objects.create(conversation=conversation, started_by=user)
    CallParticipant.objects.create(call=call, user=user, channel_name=channel_name)
    conversation = conversation_of(call)
    audit_call("call.started", user, call, conversation)
    others = participant_user_ids(conversation) - {user.pk}
    if lifecycle.nobody_reachable(others):
        # Nobody could hear it ring: the caller is told at once (and offered to write), and
        # both sides find « Appel manqué » in the conversation instead of a 45 s wait.
        lifecycle.close(call, Call.State.MISSED)
        lifecycle.announce_end(call, user, conversation)
        return call
    events.send_event_on_commit(others, frames.call_invite(call_json(call), user.pk))
    transaction.on_commit(lambda: _schedule_expiry(call.pk))
    return call


def accept(user: Any, call_id: Any, channel_name: str = "") -> Call:
    """Joins the call from this socket; the user's other sockets stop ringing."""
    expire_if_unanswered(call_id)
    return _accept(user, call_id, channel_name)


@transaction.atomic
def _accept(user: Any, call_id: Any, channel_name: str) -> Call:
    call = locked_call(user, call_id)
    require_open(call)
    in_call = set(joined(call).values_list("user_id", flat=True))
    if user.pk in in_call:
        raise Conflict("already_in_call", "Vous êtes déjà dans cet appel.")
    if len(in_call) >= MAX_PARTICIPANTS:
        raise Conflict(
            "call_full", f"L'appel est complet : {MAX_PARTICIPANTS} participants au plus."
        )
    CallParticipant.objects.create(call=call, user=user, channel_name=channel_name)
    if call.state == Call.State.RINGING:
        call.state = Call.State.ACTIVE
        call.answered_at = timezone.now()
        call.save(update_fields=["state", "answered_at"])
    conversation = conversation_of(call)
    audit_call("call.joined", user, call, conversation)
    data = call_json(call)
    others = participant_user_ids(conversation) - {user.pk}
    events.send_event_on_commit(others, frames.call_accept(data, user.pk))
    events.send_event_on_commit(
        [user.pk], frames.call_answered_elsewhere(data), origin=channel_name or None
    )
    return call


def decline(user: Any, call_id: Any, reason: str = "") -> Call:
    """One-to-one: the call ends as declined. In a group, only this user declines."""
    expire_if_unanswered(call_id)
    return _decline(user, call_id, reason)


@transaction.atomic
def _decline(user: Any, call_id: Any, reason: str) -> Call:
    call = locked_call(user, call_id)
    require_open(call)
    if joined(call).filter(user=user).exists():
        raise Conflict("already_in_call", "Vous êtes dans cet appel : raccrochez pour le quitter.")
    conversation = conversation_of(call)
    audit_call("call.declined", user, call, conversation)
    recipients = participant_user_ids(conversation)
    ends = call.state == Call.State.RINGING and len(recipients) <= 2
    if ends:
        lifecycle.close(call, Call.State.DECLINED)
    events.send_event_on_commit(recipients, frames.call_decline(call_json(call), user.pk, reason))
    if ends:
        lifecycle.announce_end(call, user, conversation)
    return call


def hangup(user: Any, call_id: Any) -> Call:
    """Leaves the call; with fewer than two left it ends. The caller hanging up before anyone
    answered cancels it: the others see a missed call."""
    expire_if_unanswered(call_id)
    return _hangup(user, call_id)


@transaction.atomic
def _hangup(user: Any, call_id: Any) -> Call:
    call = locked_call(user, call_id)
    require_open(call)
    stretch = joined(call).filter(user=user).first()
    if stretch is None:
        raise Conflict("not_in_call", "Vous ne participez pas à cet appel.")
    _leave(call, stretch, user)
    return call


def _leave(call: Call, stretch: CallParticipant, user: Any) -> None:
    """The caller holds the lock on `call`."""
    stretch.left_at = timezone.now()
    stretch.save(update_fields=["left_at"])
    conversation = conversation_of(call)
    audit_call("call.left", user, call, conversation)
    remaining = joined(call).count()
    end_state = None
    if call.state == Call.State.RINGING:
        end_state = Call.State.MISSED
    elif remaining < 2:
        end_state = Call.State.ENDED
    if end_state:
        lifecycle.close(call, end_state)
    recipients = participant_user_ids(conversation)
    events.send_event_on_commit(recipients, frames.call_hangup(call_json(call), user.pk))
    if end_state:
        lifecycle.announce_end(call, user, conversation)


def leave_calls_of_channel(channel_name: str) -> int:
    """A socket closed: its user leaves every call joined from it. Returns how many."""
    left = 0
    stretches = CallParticipant.objects.filter(channel_name=channel_name, left_at__isnull=True)
    for call_id in list(stretches.values_list("call_id", flat=True)):
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            stretch = joined(call).filter(channel_name=channel_name).select_related("user").first()
            if stretch is None or call.state in FINISHED:
                continue
            _leave(call, stretch, stretch.user)
            left += 1
    return left


def drop_from_calls(conversation_id: Any, user_ids: set[Any]) -> int:
    """People who no longer see the conversation (removed, or left a group) leave its open
    calls: they hear and see nothing of it any more. Run after the removal's commit (locks: the
    call first, as in backend/locks.py). Returns how many left."""
    left = 0
    stretches = CallParticipant.objects.filter(
        call__conversation_id=conversation_id, user_id__in=user_ids, left_at__isnull=True
    )
    for call_id, user_id in list(stretches.values_list("call_id", "user_id")):
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            stretch = joined(call).filter(user_id=user_id).select_related("user").first()
            if stretch is None or call.state in FINISHED:
                continue
            _leave(call, stretch, stretch.user)
            left += 1
    return left


def call_log(user: Any, conversation_id: Any) -> list[CallPayload]:
    """The conversation's calls, newest first (unanswered ones past the ring time as missed)."""
    actions.require_clinician(user)
    access_conversation(user, conversation_id)
    lifecycle.expire_overdue_in(conversation_id)
    with transaction.atomic():
        conversation = access_conversation(user, conversation_id)
        calls = list(Call.objects.filter(conversation=conversation)[:CALL_LOG_LIMIT])
        if conversation.patient_id:
            audit_conversation("call.log_read", user, conversation, calls=len(calls))
        return [call_json(c) for c in calls]
