"""JSON of messages and conversations, shared by the REST API and the WebSocket frames.

Built in batches: a page of messages costs a fixed number of queries, whatever its length.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q

from backend.accounts.people import Person, people_by_id
from backend.patients.access import care_organization_ids
from backend.patients.models import Patient
from conversations.access import participant_user_ids
from conversations.groups.models import ConversationPreference
from conversations.groups.rules import group_admin_id, is_archived
from conversations.models import (
    Attachment,
    Conversation,
    Message,
    MessageAcknowledgement,
    Participant,
    ReadState,
)
from conversations.payloads import (
    Acknowledgement,
    AttachmentPayload,
    ConversationPayload,
    MailboxParticipant,
    MessagePayload,
    PatientRef,
    ReplyQuote,
    UserParticipant,
)
from conversations.teams import teams_of

Json = dict[str, Any]


def attachment_json(attachment: Attachment) -> AttachmentPayload:
    return {
        "id": str(attachment.pk),
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


QUOTE_CHARS = 200


def _quotes(messages: Sequence[Message]) -> tuple[dict[uuid.UUID, Message], set[uuid.UUID]]:
    """The messages quoted by replies (one query, none when no reply is in the page)."""
    ids = {m.reply_to_id for m in messages if m.reply_to_id}
    if not ids:
        return {}, set()
    quoted = {m.pk: m for m in Message.objects.filter(pk__in=ids)}
    return quoted, {m.sender_id for m in quoted.values() if m.sender_id}


def _acknowledgements(
    messages: Sequence[Message],
) -> dict[uuid.UUID, list[MessageAcknowledgement]]:
    urgent = [m.pk for m in messages if m.urgent]
    if not urgent:
        return {}
    found: dict[uuid.UUID, list[MessageAcknowledgement]] = {}
    for ack in MessageAcknowledgement.objects.filter(message_id__in=urgent):
        found.setdefault(ack.message_id, []).append(ack)
    return found


def _pending(
    messages: Sequence[Message], acks: dict[uuid.UUID, list[MessageAcknowledgement]]
) -> dict[uuid.UUID, int]:
    """Urgent messages: how many still have to acknowledge (the rule of
    `urgent.pending_recipients`: everyone who sees the conversation but the sender)."""
    seeing: dict[uuid.UUID, set[uuid.UUID]] = {}
    pending = {}
    for m in messages:
        if not m.urgent:
            continue
        if m.conversation_id not in seeing:
            seeing[m.conversation_id] = participant_user_ids(Conversation(pk=m.conversation_id))
        done = {a.user_id for a in acks.get(m.pk, ())} | {m.sender_id}
        pending[m.pk] = len(seeing[m.conversation_id] - done)
    return pending


def _quote(quoted: Message | None, people: dict[str, Any]) -> ReplyQuote | None:
    if quoted is None:
        return None
    deleted = quoted.deleted_at is not None
    sender = people.get(str(quoted.sender_id)) if quoted.sender_id else None
    return {
        "id": str(quoted.pk),
        "seq": quoted.seq,
        "sender_name": sender["display_name"] if sender else None,
        "excerpt": "" if deleted else quoted.body[:QUOTE_CHARS],
        "deleted": deleted,
    }


def messages_json(messages: Sequence[Message]) -> list[MessagePayload]:
    if not messages:
        return []
    quoted, quoted_senders = _quotes(messages)
    acks = _acknowledgements(messages)
    pending = _pending(messages, acks)
    people = people_by_id(
        {m.sender_id for m in messages if m.sender_id}
        | quoted_senders
        | {a.user_id for found in acks.values() for a in found}
    )
    teams = teams_of({(m.conversation_id, m.sender_id) for m in messages if m.sender_id})
    files: dict[uuid.UUID, list[AttachmentPayload]] = {}
    for attachment in Attachment.objects.filter(message__in=messages).order_by("created_at"):
        files.setdefault(attachment.message_id, []).append(attachment_json(attachment))  # type: ignore[arg-type]
    return [
        message_payload(
            m,
            people.get(str(m.sender_id)) if m.sender_id else None,
            teams.get((str(m.conversation_id), str(m.sender_id))),
            files.get(m.pk, []),
            _quote(quoted.get(m.reply_to_id), people) if m.reply_to_id else None,
            [_acknowledgement(a, people) for a in acks.get(m.pk, ()) if str(a.user_id) in people],
            pending.get(m.pk),
        )
        for m in messages
    ]


def message_payload(
    m: Message,
    sender: Person | None,
    team: Any,
    files: list[AttachmentPayload],
    reply_to: ReplyQuote | None = None,
    acknowledgements: list[Acknowledgement] | None = None,
    pending_acknowledgements: int | None = None,
) -> MessagePayload:
    """One message's JSON from what `messages_json` loads in batches (the send path has it)."""
    deleted = m.deleted_at is not None
    payload: MessagePayload = {
        "id": str(m.pk),
        "conversation": str(m.conversation_id),
        "seq": m.seq,
        "kind": m.kind,  # type: ignore[typeddict-item]
        "sender": sender,
        # Written by a member of a team mailbox taking part: the team and their role.
        "team": team,
        "client_id": m.client_id,
        # A deleted message stays in history as « Message supprimé », without content.
        "body": "" if deleted else m.body,
        "attachments": [] if deleted else files,
        "created_at": m.created_at.isoformat(),
        "edited_at": m.edited_at.isoformat() if m.edited_at else None,
        "deleted": deleted,
        "reply_to": reply_to,
        "forwarded": m.forwarded,
        "urgent": m.urgent,
        "acknowledgements": acknowledgements or [],
    }
    if m.urgent and pending_acknowledgements is not None:
        payload["pending_acknowledgements"] = pending_acknowledgements
    return payload


def _acknowledgement(ack: MessageAcknowledgement, people: dict[str, Any]) -> Acknowledgement:
    return {"user": people[str(ack.user_id)], "at": ack.acknowledged_at.isoformat()}


def message_json(message: Message) -> MessagePayload:
    return messages_json([message])[0]


def participants_json(
    participants: Sequence[Participant], people: dict[str, Person]
) -> list[UserParticipant | MailboxParticipant]:
    """``participants`` with their mailbox selected; ``people`` has every participating user."""
    parts: list[UserParticipant | MailboxParticipant] = []
    for p in participants:
        if p.user_id:
            # Users are never deleted (PROTECT): everyone listed has a person.
            parts.append({"kind": "user", "user": people[str(p.user_id)]})
        elif p.mailbox is not None:
            parts.append(
                {
                    "kind": "mailbox",
                    "mailbox": {
                        "address": p.mailbox.address,
                        "display_name": p.mailbox.display_name or p.mailbox.address,
                    },
                }
            )
    return parts


def display_title(
    conversation: Conversation,
    participants: list[UserParticipant | MailboxParticipant],
    viewer_id: str,
) -> str:
    if conversation.title:
        return conversation.title
    names = []
    for p in participants:
        if p["kind"] == "mailbox":
            names.append(p["mailbox"]["display_name"])
        elif p["user"]["id"] != viewer_id:
            names.append(p["user"]["display_name"])
    return ", ".join(names) or "Conversation"


def patient_json(patient: Patient, viewer_organizations: set[uuid.UUID]) -> PatientRef:
    return {
        "id": str(patient.pk),
        "display_name": patient.display_name,
        "birth_name": patient.birth_name,
        "first_name": patient.first_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,  # type: ignore[typeddict-item]
        "identity_status": patient.identity_status,  # type: ignore[typeddict-item]
        "identity_status_label": patient.get_identity_status_display(),
        "writable": patient.is_qualified and patient.organization_id in viewer_organizations,
    }


def conversations_json(
    conversations: Sequence[Conversation], viewer: Any
) -> list[ConversationPayload]:
    if not conversations:
        return []
    viewer_id = str(viewer.pk)
    participants = list(
        Participant.objects.filter(conversation__in=conversations, left_at__isnull=True)
        .select_related("mailbox")
        .order_by("joined_at")
    )
    reads = list(ReadState.objects.filter(conversation__in=conversations))
    people = people_by_id(
        {p.user_id for p in participants if p.user_id} | {r.user_id for r in reads}
    )
    my_reads = {r.conversation_id: r.last_read_seq for r in reads if str(r.user_id) == viewer_id}
    # One query each: "unread" is what others wrote after my read cursor, not deleted.
    after_my_cursor = Q()
    latest = Q()
    for c in conversations:
        after_my_cursor |= Q(conversation=c, seq__gt=my_reads.get(c.pk, 0))
        latest |= Q(conversation=c, seq=c.last_seq)
    unread = dict(
        Message.objects.filter(after_my_cursor, deleted_at__isnull=True)
        .exclude(sender=viewer)
        .values("conversation")
        .annotate(n=Count("pk"))
        .values_list("conversation", "n")
    )
    last_messages = list(Message.objects.filter(latest))
    preferences = {
        p.conversation_id: p
        for p in ConversationPreference.objects.filter(conversation__in=conversations, user=viewer)
    }
    organizations = (
        care_organization_ids(viewer) if any(c.patient_id for c in conversations) else set()
    )
    last_json = {m["conversation"]: m for m in messages_json(last_messages)}
    result: list[ConversationPayload] = []
    for c in conversations:
        mine = [p for p in participants if p.conversation_id == c.pk]
        preference = preferences.get(c.pk)
        parts = participants_json(mine, people)
        result.append(
            {
                "id": str(c.pk),
                "kind": c.kind,  # type: ignore[typeddict-item]
                "title": c.title,
                "display_title": display_title(c, parts, viewer_id),
                "patient": patient_json(c.patient, organizations) if c.patient else None,
                "participants": parts,
                "last_message": last_json.get(str(c.pk)),
                "last_seq": c.last_seq,
                "unread_count": unread.get(c.pk, 0),
                "read_state": [
                    {"user": people[str(r.user_id)], "seq": r.last_read_seq}
                    for r in reads
                    if r.conversation_id == c.pk
                ],
                "created_at": c.created_at.isoformat(),
                "last_activity_at": c.last_activity_at.isoformat(),
                "muted": bool(preference and preference.muted),
                "pinned": bool(preference and preference.pinned_at),
                "archived": is_archived(preference, c),
                "group_admin": str(admin) if (admin := group_admin_id(c, mine)) else None,
            }
        )
    return result


def conversation_json(conversation: Conversation, viewer: Any) -> ConversationPayload:
    return conversations_json([conversation], viewer)[0]
