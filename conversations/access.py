"""Who takes part in a conversation. Only participants see it, its messages and attachments."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from backend.accounts.access import clinical_member_user_ids, team_mailbox_ids
from backend.errors import NotFound
from conversations.models import Attachment, Conversation, Participant


def _active_participation(user: Any) -> Q:
    """A user takes part directly, or as a clinical member of an ORG mailbox that takes part
    (``team_mailbox_ids``: a billing clerk in the team gets nothing through it)."""
    direct = Q(participants__left_at__isnull=True, participants__user=user)
    teams = team_mailbox_ids(user)
    if not teams:
        return direct
    return direct | Q(participants__left_at__isnull=True, participants__mailbox_id__in=teams)


def conversations_for(user: Any) -> QuerySet[Conversation]:
    if not getattr(user, "is_authenticated", False):
        return Conversation.objects.none()
    ids = Conversation.objects.filter(_active_participation(user)).values("pk")
    return Conversation.objects.filter(pk__in=ids)


def _uuid(value: Any, message: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound(message) from exc


def access_conversation(
    user: Any, conversation_id: Any, *, for_update: bool = False
) -> Conversation:
    """The conversation, or one "not found" for missing and not-a-participant alike."""
    key = _uuid(conversation_id, "Conversation introuvable.")
    queryset = conversations_for(user).filter(pk=key)
    if for_update:
        # Re-select by primary key: a locking query cannot carry the participation joins.
        if not queryset.exists():
            raise NotFound("Conversation introuvable.")
        return Conversation.objects.select_for_update().get(pk=key)
    conversation = queryset.select_related("patient").first()
    if conversation is None:
        raise NotFound("Conversation introuvable.")
    return conversation


def participant_user_ids(conversation: Conversation) -> set[uuid.UUID]:
    """Every user who sees the conversation: direct participants and the clinical members of
    its ORG mailboxes (the one rule of ``clinical_member_user_ids``)."""
    active = Participant.objects.filter(conversation=conversation, left_at__isnull=True)
    direct = set(active.filter(user__isnull=False).values_list("user_id", flat=True))
    mailboxes = list(active.filter(mailbox__isnull=False).values_list("mailbox_id", flat=True))
    return direct | clinical_member_user_ids(mailboxes)


def access_attachment(user: Any, attachment_id: Any) -> Attachment:
    """Its uploader before it is sent; the conversation's participants once it is."""
    key = _uuid(attachment_id, "Pièce jointe introuvable.")
    attachment = Attachment.objects.select_related("message__conversation").filter(pk=key).first()
    if attachment is None:
        raise NotFound("Pièce jointe introuvable.")
    if attachment.message is None:
        if attachment.uploaded_by_id == getattr(user, "pk", None):
            return attachment
        raise NotFound("Pièce jointe introuvable.")
    if not conversations_for(user).filter(pk=attachment.message.conversation_id).exists():
        raise NotFound("Pièce jointe introuvable.")
    # A deleted message takes its files with it: no participant downloads them any more.
    if attachment.message.deleted_at is not None:
        raise NotFound("Pièce jointe introuvable.")
    return attachment
