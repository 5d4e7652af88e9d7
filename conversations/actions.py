"""Every change to conversations: one transaction each, its audit event inside it, fan-out after.

Ordering: a message's seq comes from its conversation row, locked with SELECT ... FOR UPDATE, so
concurrent senders get 1, 2, 3 ... without gaps. Idempotency: (sender, client_id) is unique; a
resend returns the stored message.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend import metrics
from backend.accounts.access import can_take_part, require_clinical_access
from backend.accounts.models import Mailbox, User
from backend.accounts.people import people_cached, person
from backend.errors import Conflict, DomainError, Kind, NotFound
from backend.patients.models import Patient
from conversations import events, frames, send_statement, sending
from conversations.access import access_conversation, participant_user_ids
from conversations.audit import audit_chip_sent, audit_conversation, audit_conversations_shown
from conversations.message_options import PLAIN, SendOptions, is_plain, replied_message
from conversations.models import (
    Attachment,
    Conversation,
    Message,
    MessageVersion,
    Participant,
    ReadState,
)
from conversations.payloads import MessagePayload
from conversations.push import schedule as push
from conversations.representations import (
    attachment_json,
    conversation_json,
    message_json,
    message_payload,
)
from conversations.teams import team_of


@dataclass(frozen=True)
class SendResult:
    message: Message
    created: bool
    payload: MessagePayload | None = None  # the message's JSON when this call stored it


CONVERSATIONS_FORBIDDEN = "Votre rôle ne donne pas accès aux conversations."


def require_clinician(user: Any) -> None:
    require_clinical_access(user, CONVERSATIONS_FORBIDDEN)


def _direct_key(a: uuid.UUID, b: uuid.UUID) -> str:
    return ":".join(sorted([str(a), str(b)]))


def _fan_out_conversation(conversation: Conversation, origin: str | None = None) -> None:
    chip_to = []
    for user_id in participant_user_ids(conversation):
        view = conversation_json(conversation, User(pk=user_id))
        events.send_event_on_commit([user_id], frames.conversation_new(view), origin=origin)
        if view.get("patient"):
            chip_to.append(user_id)
    audit_chip_sent(conversation, chip_to, "conversation.new")  # a read of the patient's identity


@transaction.atomic
def create_conversation(
    creator: User,
    *,
    users: Sequence[User],
    mailboxes: Sequence[Mailbox] = (),
    title: str = "",
    patient: Patient | None = None,
) -> tuple[Conversation, bool]:
    """Returns (conversation, created). A one-to-one without title nor patient is reused."""
    require_clinician(creator)
    others = [u for u in dict.fromkeys(users) if u.pk != creator.pk]
    for user in others:
        if not can_take_part(user):
            raise DomainError(
                "participant_not_allowed",
                f"{user.display_name} ne peut pas participer à une conversation clinique.",
                fields={"participants": [f"{user.display_name} : destinataire non autorisé."]},
            )
    if not others and not mailboxes:
        raise DomainError(
            "participants_required",
            "Choisissez au moins un destinataire.",
            fields={"participants": ["Choisissez au moins un destinataire."]},
        )
    direct = len(others) == 1 and not mailboxes and not title and patient is None
    key = _direct_key(creator.pk, others[0].pk) if direct else None
    if key:
        existing = Conversation.objects.filter(direct_key=key).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                kind=Conversation.Kind.DIRECT if direct else Conversation.Kind.GROUP,
                title=title.strip(),
                patient=patient,
                created_by=creator,
                direct_key=key,
            )
    except IntegrityError:
        # The same one-to-one opened concurrently from the other side: use that one.
        return Conversation.objects.get(direct_key=key), False
    Participant.objects.bulk_create(
        [
            Participant(conversation=conversation, user=u, added_by=creator)
            for u in [creator, *others]
        ]
        + [Participant(conversation=conversation, mailbox=m, added_by=creator) for m in mailboxes]
    )
    audit_conversation(
        "conversation.created",
        creator,
        conversation,
        participants=len(others) + 1,
        mailboxes=len(mailboxes),
    )
    _fan_out_conversation(conversation)
    return conversation, True


def _next_seq(conversation: Conversation) -> int:
    """The caller holds the row lock on `conversation`."""
    conversation.last_seq += 1
    conversation.last_activity_at = timezone.now()
    conversation.save(update_fields=["last_seq", "last_activity_at"])
    return conversation.last_seq


def _post_system_message(
    conversation: Conversation, text: str, recipients: set[uuid.UUID] | None = None
) -> Message:
    message = Message.objects.create(
        conversation=conversation,
        seq=_next_seq(conversation),
        kind=Message.Kind.SYSTEM,
        client_id=f"system-{uuid.uuid4()}",
        body=text,
    )
    frame = frames.message_new(message_json(message))
    events.send_event_on_commit(recipients or participant_user_ids(conversation), frame)
    return message


def post_system_message(conversation_id: uuid.UUID, text: str) -> Message:
    """For other features (calls, teleexpertise) that leave a trace in the conversation."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        return _post_system_message(conversation, text)


def validate_body(body: str, has_attachments: bool) -> str:
    if len(body) > settings.MESSAGE_MAX_CHARS:
        raise DomainError(
            "body_too_long",
            f"Le message dépasse {settings.MESSAGE_MAX_CHARS} caractères.",
            Kind.TOO_LARGE,
            fields={"body": ["Message trop long."]},
        )
    if not body.strip() and not has_attachments:
        raise DomainError(
            "body_empty", "Le message est vide.", fields={"body": ["Écrivez un message."]}
        )
    return body


def send_message(
    sender: User,
    conversation_id: Any,
    *,
    client_id: str,
    body: str,
    attachment_ids: Sequence[uuid.UUID] = (),
    origin: str | None = None,
    options: SendOptions = PLAIN,
) -> SendResult:
    """Stores the message once per (sender, client_id) and fans it out after commit."""
    validate_body(body, bool(attachment_ids))
    if is_plain(attachment_ids, options) and send_statement.available():
        try:
            return _send_plain(sender, conversation_id, client_id, body, origin)
        except send_statement.NothingSent:
            pass  # not found, not taking part, or a resend: the general path answers
    try:
        return _send_message(
            sender, conversation_id, client_id, body, attachment_ids, origin, options
        )
    except _AlreadyStored as resent:  # rolled back: the seq it took is given back
        stored = sending.stored_message(sender.pk, client_id)
        if stored is None:  # stored by a transaction that then rolled back: send it now
            return _send_message(
                sender, conversation_id, client_id, body, attachment_ids, origin, options
            )
        return _existing(stored, resent.conversation_id)
    except IntegrityError:
        # Two concurrent resends of one client_id in different conversations, or a race the
        # lock did not cover: the stored one wins.
        existing = Message.objects.filter(sender=sender, client_id=client_id).first()
        if existing is None:
            raise
        return _existing(existing, conversation_id)


def _send_plain(
    sender: User, conversation_id: Any, client_id: str, body: str, origin: str | None
) -> SendResult:
    """A plain message on PostgreSQL: one statement (`conversations.send_statement`)."""
    message, direct, mailboxes = send_statement.send_plain(sender, conversation_id, client_id, body)
    metrics.inc("liaison_messages_sent_total")
    conversation = message.conversation
    recipients, team = sending.with_team_members(conversation, sender.pk, direct, mailboxes)
    payload = message_payload(message, people_cached([sender.pk])[str(sender.pk)], team, [])
    events.send_event_on_commit(recipients, frames.message_new(payload), origin=origin)
    push.push_on_commit(message, recipients)
    return SendResult(message, created=True, payload=payload)


class _AlreadyStored(Exception):
    """Raised inside the send's transaction to roll it back: the client_id is taken."""

    def __init__(self, conversation_id: uuid.UUID) -> None:
        super().__init__("client_id already stored")
        self.conversation_id = conversation_id


def _existing(existing: Message, conversation_id: Any) -> SendResult:
    if str(existing.conversation_id) != str(conversation_id):
        raise Conflict("client_id_reused", "Cet identifiant de message est déjà utilisé ailleurs.")
    return SendResult(existing, created=False)


@transaction.atomic
def _send_message(
    sender: User,
    conversation_id: Any,
    client_id: str,
    body: str,
    attachment_ids: Sequence[uuid.UUID],
    origin: str | None,
    options: SendOptions,
) -> SendResult:
    # The statements of this path are counted and explained in conversations/sending.py.
    conversation = sending.take_next_seq(sender, conversation_id)  # locked until commit
    attachments = []
    if attachment_ids:
        attachments = list(
            Attachment.objects.select_for_update()
            .filter(pk__in=attachment_ids, uploaded_by=sender, message__isnull=True)
            .order_by("created_at")
        )
        if len(attachments) != len(set(attachment_ids)):
            raise DomainError(
                "attachment_invalid",
                "Une pièce jointe est introuvable ou déjà envoyée.",
                fields={"attachments": ["Pièce jointe introuvable ou déjà envoyée."]},
            )
    reply_to = replied_message(conversation, options.reply_to)
    message = Message(
        conversation=conversation,
        seq=conversation.last_seq,
        sender=sender,
        client_id=client_id,
        body=body,
        reply_to=reply_to,
        urgent=options.urgent,
        forwarded=options.forwarded,
    )
    if not sending.insert_message(message):  # a resend: `send_message` answers with the stored
        raise _AlreadyStored(conversation.pk)
    metrics.inc("liaison_messages_sent_total")
    if attachments:
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).update(message=message)
    sending.mark_own_read(conversation, sender, message.seq)
    extra: dict[str, Any] = {k: True for k in ("urgent", "forwarded") if getattr(options, k)}
    if reply_to is not None:
        extra["reply_to"] = str(reply_to.pk)
    audit_conversation(
        "message.sent",
        sender,
        conversation,
        message=str(message.pk),
        attachments=len(attachments),
        **extra,
    )
    if message.urgent:
        from conversations.urgent import schedule_reminder

        schedule_reminder(message.pk)
    recipients, team = sending.recipients_and_team(conversation, sender.pk)
    payload = (
        message_json(message)  # a reply quotes another message: the general path
        if reply_to is not None
        else message_payload(
            message,
            people_cached([sender.pk])[str(sender.pk)],
            team,
            [attachment_json(a) for a in attachments],
            # everyone who sees it but the sender (`urgent.pending_recipients`), known already
            pending_acknowledgements=len(recipients - {sender.pk}) if message.urgent else None,
        )
    )
    events.send_event_on_commit(recipients, frames.message_new(payload), origin=origin)
    push.push_on_commit(message, recipients)
    return SendResult(message, created=True, payload=payload)


def _own_message(user: User, message_id: Any, conversation_id: Any = None) -> Message:
    """The user's own message; when the caller names a conversation (REST paths), the message
    must belong to it."""
    try:
        key = uuid.UUID(str(message_id))
    except ValueError as exc:
        raise NotFound("Message introuvable.") from exc
    message = Message.objects.select_for_update().filter(pk=key).first()
    if message is None or (
        conversation_id is not None and str(message.conversation_id) != str(conversation_id)
    ):
        raise NotFound("Message introuvable.")
    # Participation first, so a non-participant cannot tell "not yours" from "missing".
    access_conversation(user, message.conversation_id)
    if message.sender_id != user.pk or message.kind != Message.Kind.USER:
        raise DomainError(
            "forbidden", "Vous ne pouvez modifier que vos propres messages.", Kind.FORBIDDEN
        )
    if message.deleted_at is not None:
        raise Conflict("message_deleted", "Ce message a été supprimé.")
    return message


def _keep_version(message: Message, change: str, now: datetime.datetime) -> None:
    """The text being replaced, for the audit (never shown to participants)."""
    MessageVersion.objects.create(
        message=message,
        body=message.body,
        change=change,
        replaced_at=now,
        written_at=message.edited_at or message.created_at,
    )


@transaction.atomic
def edit_message(user: User, message_id: Any, body: str, conversation_id: Any = None) -> Message:
    message = _own_message(user, message_id, conversation_id)
    validate_body(body, message.attachments.exists())
    now = timezone.now()
    _keep_version(message, MessageVersion.Change.EDITED, now)
    message.body = body
    message.edited_at = now
    message.save(update_fields=["body", "edited_at"])
    conversation = message.conversation
    audit_conversation("message.edited", user, conversation, message=str(message.pk))
    frame = frames.message_updated(message_json(message))
    events.send_event_on_commit(participant_user_ids(conversation), frame)
    return message


@transaction.atomic
def delete_message(user: User, message_id: Any, conversation_id: Any = None) -> Message:
    """Kept in history as « Message supprimé »: the text is erased, the seq stays."""
    message = _own_message(user, message_id, conversation_id)
    now = timezone.now()
    _keep_version(message, MessageVersion.Change.DELETED, now)
    message.body = ""
    message.deleted_at = now
    message.save(update_fields=["body", "deleted_at"])
    conversation = message.conversation
    audit_conversation("message.deleted", user, conversation, message=str(message.pk))
    frame = frames.message_updated(message_json(message))
    events.send_event_on_commit(participant_user_ids(conversation), frame)
    return message


@transaction.atomic
def mark_read(user: User, conversation_id: Any, seq: int) -> int:
    """Moves the user's read cursor forward (never back); returns the stored cursor."""
    conversation = access_conversation(user, conversation_id)
    seq = min(seq, conversation.last_seq)
    state, _ = ReadState.objects.select_for_update().get_or_create(
        conversation=conversation, user=user
    )
    if seq <= state.last_read_seq:
        return state.last_read_seq
    state.last_read_seq = seq
    state.save(update_fields=["last_read_seq", "updated_at"])
    audit_conversation("conversation.read", user, conversation, seq=seq)
    reader = {**person(user), "team": team_of(conversation.pk, user.pk)}
    frame = frames.read(conversation.pk, user.pk, seq, reader)  # type: ignore[arg-type]
    events.send_event_on_commit(participant_user_ids(conversation), frame)
    return seq


@transaction.atomic
def record_history_read(user: User, conversation: Conversation, count: int) -> None:
    """Reading messages about a patient is a read of patient data: it leaves an event."""
    if conversation.patient_id and count:
        audit_conversation("conversation.history_read", user, conversation, messages=count)


@transaction.atomic
def record_histories_read(
    user: User, counts: Mapping[Any, int], shown: Iterable[Conversation]
) -> None:
    """`record_history_read` for many conversations at once (a sync), in one INSERT; `counts`
    is how many messages of each (by id) were read."""
    read = [c for c in shown if c.patient_id and counts.get(c.pk)]
    audit_conversations_shown(
        "conversation.history_read", user, read, data=lambda c: {"messages": counts[c.pk]}
    )


@transaction.atomic
def record_conversations_shown(
    user: User, conversations: Sequence[Conversation], verb: str = "conversation.list_read"
) -> None:
    """A list or a detail about a patient shows their identity chip (and the last message's
    preview): a read of that patient's data, one event per such conversation, messages or not
    (written in one statement, so a list's cost does not grow with it)."""
    audit_conversations_shown(verb, user, [c for c in conversations if c.patient_id])
