"""Video calls: every change to a call, one transaction each, audit inside, frames after commit.

Locking order: a Call row first, then its conversation (the system message takes the
conversation's seq lock). `invite` locks only the conversation and reads calls without locking.
A ringing call left unanswered for CALL_RING_SECONDS ends as missed: a Celery task scheduled at
invite time does it, and every action about a call does it first (eager mode ignores countdowns).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import status

from backend.api.errors import ApiError, Conflict, NotFound
from backend.audit import log as audit
from conversations import actions, events
from conversations.access import access_conversation, conversations_for, participant_user_ids
from conversations.models import Call, CallParticipant, Conversation

logger = logging.getLogger(__name__)
Json = dict[str, Any]

MAX_PARTICIPANTS = 4  # a full mesh: each browser sends its media to every other one
CALL_LOG_LIMIT = 100
FINISHED = (Call.State.ENDED, Call.State.MISSED, Call.State.DECLINED)


def ring_seconds() -> int:
    return int(getattr(settings, "CALL_RING_SECONDS", 45))


# --- Frame schemas (server -> client) --------------------------------------------------------
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
    return {"type": "call.ringing", "call": call, "ref": ref}


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


# --- Helpers ---------------------------------------------------------------------------------
def _audit_call(verb: str, actor: Any, call: Call, conversation: Conversation, **data: Any) -> None:
    audit.record(
        verb,
        actor=actor,
        obj=call,
        patient_id=conversation.patient_id,
        organization=conversation.patient.organization if conversation.patient else None,
        data={"conversation": str(conversation.pk), **data},
    )


def _key(call_id: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(call_id))
    except ValueError as exc:
        raise NotFound("Appel introuvable.") from exc


def _locked_call(user: Any, call_id: Any) -> Call:
    """The call, locked, if the user takes part in its conversation; one "not found" otherwise."""
    actions.require_clinician(user)
    key = _key(call_id)
    if not Call.objects.filter(pk=key, conversation__in=conversations_for(user)).exists():
        raise NotFound("Appel introuvable.")
    return Call.objects.select_for_update().get(pk=key)


def _conversation(call: Call) -> Conversation:
    return Conversation.objects.select_related("patient__organization").get(pk=call.conversation_id)


def _joined(call: Call) -> Any:
    return CallParticipant.objects.filter(call=call, left_at__isnull=True)


def _require_open(call: Call) -> None:
    if call.state in FINISHED:
        raise Conflict("call_ended", "Cet appel est terminé.")


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


def _close(call: Call, state: str) -> None:
    """The caller holds the lock on `call`."""
    now = timezone.now()
    call.state = state
    call.ended_at = now
    call.save(update_fields=["state", "ended_at"])
    _joined(call).update(left_at=now)


def _announce_end(call: Call, actor: Any, conversation: Conversation) -> None:
    _audit_call(
        "call.ended", actor, call, conversation, state=call.state, duration=call.duration_seconds
    )
    events.send_event_on_commit(participant_user_ids(conversation), ended_frame(call_json(call)))
    actions.post_system_message(conversation.pk, _system_text(call))


def _finish(call: Call, state: str, actor: Any, conversation: Conversation) -> None:
    _close(call, state)
    _announce_end(call, actor, conversation)


def _schedule_expiry(call_id: uuid.UUID) -> None:
    from conversations.tasks import expire_unanswered_call

    if expire_unanswered_call.app.conf.task_always_eager:
        return  # eager mode ignores the countdown; the lazy expiry does the job
    try:
        expire_unanswered_call.apply_async((str(call_id),), countdown=ring_seconds() + 1)
    except Exception:
        # The lazy expiry still ends it: any frame or read about the call checks the ring time.
        logger.exception("call expiry not scheduled", extra={"event": "call.invite"})


# --- Actions ---------------------------------------------------------------------------------
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
        _finish(call, Call.State.MISSED, None, _conversation(call))
        return True


def _expire_overdue_in(conversation_id: Any) -> None:
    ringing = Call.objects.filter(conversation_id=conversation_id, state=Call.State.RINGING)
    for call_id in list(ringing.values_list("pk", flat=True)):
        expire_if_unanswered(call_id)


def invite(user: Any, conversation_id: Any, channel_name: str = "") -> Call:
    """Starts a call that rings on every socket of the other participants."""
    actions.require_clinician(user)
    access_conversation(user, conversation_id)
    _expire_overdue_in(conversation_id)
    return _invite(user, conversation_id, channel_name)


@transaction.atomic
def _invite(user: Any, conversation_id: Any, channel_name: str) -> Call:
    # The conversation lock makes two simultaneous invites start one call, not two.
    conversation = access_conversation(user, conversation_id, for_update=True)
    ongoing = Call.objects.filter(
        conversation=conversation, state__in=[Call.State.RINGING, Call.State.ACTIVE]
    ).first()
    if ongoing is not None:
        raise ApiError(
            "call_in_progress",
            "Un appel est déjà en cours dans cette conversation : rejoignez-le.",
            status.HTTP_409_CONFLICT,
            fields={"call": [str(ongoing.pk)]},
        )
    call = Call.objects.create(conversation=conversation, started_by=user)
    CallParticipant.objects.create(call=call, user=user, channel_name=channel_name)
    conversation = _conversation(call)
    _audit_call("call.started", user, call, conversation)
    others = participant_user_ids(conversation) - {user.pk}
    events.send_event_on_commit(others, invite_frame(call_json(call), user.pk))
    transaction.on_commit(lambda: _schedule_expiry(call.pk))
    return call


def accept(user: Any, call_id: Any, channel_name: str = "") -> Call:
    """Joins the call from this socket; the user's other sockets stop ringing."""
    expire_if_unanswered(call_id)
    return _accept(user, call_id, channel_name)


@transaction.atomic
def _accept(user: Any, call_id: Any, channel_name: str) -> Call:
    call = _locked_call(user, call_id)
    _require_open(call)
    joined = set(_joined(call).values_list("user_id", flat=True))
    if user.pk in joined:
        raise Conflict("already_in_call", "Vous êtes déjà dans cet appel.")
    if len(joined) >= MAX_PARTICIPANTS:
        raise Conflict(
            "call_full", f"L'appel est complet : {MAX_PARTICIPANTS} participants au plus."
        )
    CallParticipant.objects.create(call=call, user=user, channel_name=channel_name)
    if call.state == Call.State.RINGING:
        call.state = Call.State.ACTIVE
        call.answered_at = timezone.now()
        call.save(update_fields=["state", "answered_at"])
    conversation = _conversation(call)
    _audit_call("call.joined", user, call, conversation)
    data = call_json(call)
    others = participant_user_ids(conversation) - {user.pk}
    events.send_event_on_commit(others, accept_frame(data, user.pk))
    events.send_event_on_commit(
        [user.pk], answered_elsewhere_frame(data), origin=channel_name or None
    )
    return call


def decline(user: Any, call_id: Any, reason: str = "") -> Call:
    """One-to-one: the call ends as declined. In a group, only this user declines."""
    expire_if_unanswered(call_id)
    return _decline(user, call_id, reason)


@transaction.atomic
def _decline(user: Any, call_id: Any, reason: str) -> Call:
    call = _locked_call(user, call_id)
    _require_open(call)
    if _joined(call).filter(user=user).exists():
        raise Conflict("already_in_call", "Vous êtes dans cet appel : raccrochez pour le quitter.")
    conversation = _conversation(call)
    _audit_call("call.declined", user, call, conversation)
    recipients = participant_user_ids(conversation)
    ends = call.state == Call.State.RINGING and len(recipients) <= 2
    if ends:
        _close(call, Call.State.DECLINED)
    events.send_event_on_commit(recipients, decline_frame(call_json(call), user.pk, reason))
    if ends:
        _announce_end(call, user, conversation)
    return call


def hangup(user: Any, call_id: Any) -> Call:
    """Leaves the call; with fewer than two left it ends. The caller hanging up before anyone
    answered cancels it: the others see a missed call."""
    expire_if_unanswered(call_id)
    return _hangup(user, call_id)


@transaction.atomic
def _hangup(user: Any, call_id: Any) -> Call:
    call = _locked_call(user, call_id)
    _require_open(call)
    stretch = _joined(call).filter(user=user).first()
    if stretch is None:
        raise Conflict("not_in_call", "Vous ne participez pas à cet appel.")
    _leave(call, stretch, user)
    return call


def _leave(call: Call, stretch: CallParticipant, user: Any) -> None:
    """The caller holds the lock on `call`."""
    stretch.left_at = timezone.now()
    stretch.save(update_fields=["left_at"])
    conversation = _conversation(call)
    _audit_call("call.left", user, call, conversation)
    remaining = _joined(call).count()
    end_state = None
    if call.state == Call.State.RINGING:
        end_state = Call.State.MISSED
    elif remaining < 2:
        end_state = Call.State.ENDED
    if end_state:
        _close(call, end_state)
    recipients = participant_user_ids(conversation)
    events.send_event_on_commit(recipients, hangup_frame(call_json(call), user.pk))
    if end_state:
        _announce_end(call, user, conversation)


def leave_calls_of_channel(channel_name: str) -> int:
    """A socket closed: its user leaves every call joined from it. Returns how many."""
    left = 0
    stretches = CallParticipant.objects.filter(channel_name=channel_name, left_at__isnull=True)
    for call_id in list(stretches.values_list("call_id", flat=True)):
        with transaction.atomic():
            call = Call.objects.select_for_update().get(pk=call_id)
            stretch = _joined(call).filter(channel_name=channel_name).select_related("user").first()
            if stretch is None or call.state in FINISHED:
                continue
            _leave(call, stretch, stretch.user)
            left += 1
    return left


@dataclass(frozen=True)
class SignalRoute:
    call_id: uuid.UUID
    user_id: uuid.UUID
    channel_name: str  # the addressee's socket in the call, or "" for all of their sockets


def signal_route(user: Any, call_id: Any, to: Any) -> SignalRoute:
    """Where a `call.signal` goes: both ends take part in the call's conversation, the call is
    not over. Nothing is stored: SDP and ICE candidates are relayed, never kept."""
    expire_if_unanswered(call_id)
    actions.require_clinician(user)
    key = _key(call_id)
    call = Call.objects.filter(pk=key, conversation__in=conversations_for(user)).first()
    if call is None:
        raise NotFound("Appel introuvable.")
    _require_open(call)
    try:
        target = uuid.UUID(str(to))
    except ValueError as exc:
        raise NotFound("Destinataire introuvable dans cet appel.") from exc
    if target == user.pk:
        raise ApiError("invalid", "On ne s'envoie pas de signal à soi-même.")
    if target not in participant_user_ids(_conversation(call)):
        raise NotFound("Destinataire introuvable dans cet appel.")
    stretch = _joined(call).filter(user_id=target).exclude(channel_name="").first()
    return SignalRoute(call.pk, target, stretch.channel_name if stretch else "")


def call_log(user: Any, conversation_id: Any) -> list[Json]:
    """The conversation's calls, newest first (unanswered ones past the ring time as missed)."""
    actions.require_clinician(user)
    access_conversation(user, conversation_id)
    _expire_overdue_in(conversation_id)
    with transaction.atomic():
        conversation = access_conversation(user, conversation_id)
        calls = list(Call.objects.filter(conversation=conversation)[:CALL_LOG_LIMIT])
        if conversation.patient_id:
            _audit_call_log_read(user, conversation, len(calls))
        return [call_json(c) for c in calls]


def _audit_call_log_read(user: Any, conversation: Conversation, count: int) -> None:
    audit.record(
        "call.log_read",
        actor=user,
        obj=conversation,
        patient_id=conversation.patient_id,
        organization=conversation.patient.organization if conversation.patient else None,
        data={"calls": count},
    )


# --- ICE servers (coturn REST API: use-auth-secret / static-auth-secret) --------------------
def turn_credentials(user_id: Any, secret: str, ttl: int, now: float | None = None) -> Json:
    """username "<expiry unix time>:<user id>", credential base64(HMAC-SHA1(secret, username)):
    coturn recomputes it with the shared secret and refuses it after the expiry."""
    expiry = int(now if now is not None else time.time()) + ttl
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return {"username": username, "credential": base64.b64encode(digest).decode("ascii")}


def ice_servers(user: Any) -> Json:
    actions.require_clinician(user)
    ttl = int(settings.TURN_CREDENTIAL_TTL)
    servers: list[Json] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        servers.append(
            {
                "urls": list(settings.TURN_URLS),
                **turn_credentials(user.pk, str(settings.TURN_SECRET), ttl),
            }
        )
    return {"ice_servers": servers, "ttl": ttl}
