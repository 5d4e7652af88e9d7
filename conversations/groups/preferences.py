"""Per-user mute, pin and archive of a conversation: audited, no system message (nobody else
sees them), sent live to the user's other devices only."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from backend.accounts.models import User
from conversations.access import access_conversation
from conversations.actions import require_clinician
from conversations.audit import audit_conversation
from conversations.groups.fanout import conversation_changed
from conversations.groups.models import ConversationPreference
from conversations.groups.rules import is_archived, muted_user_ids
from conversations.models import Conversation

# muted_user_ids is in rules.py (Web Push reads it there without importing the actions).
__all__ = ["archived_conversation_ids", "muted_user_ids", "set_preferences"]


def archived_conversation_ids(user: Any) -> QuerySet[ConversationPreference, Any]:
    """Conversations ``user`` archived and that stayed quiet since (a new message, unless the
    conversation is muted, brings an archived conversation back to the list)."""
    return (
        ConversationPreference.objects.filter(user=user, archived_at__isnull=False)
        .filter(Q(archived_at__gte=F("conversation__last_activity_at")) | Q(muted=True))
        .values("conversation_id")
    )


@transaction.atomic
def set_preferences(
    user: User,
    conversation_id: Any,
    *,
    muted: bool | None = None,
    pinned: bool | None = None,
    archived: bool | None = None,
) -> Conversation:
    conversation = access_conversation(user, conversation_id)
    require_clinician(user)
    row, _ = ConversationPreference.objects.select_for_update().get_or_create(
        conversation=conversation, user=user
    )
    now = timezone.now()
    changed: dict[str, bool] = {}
    if muted is not None and muted != row.muted:
        row.muted = muted
        changed["muted"] = muted
    if pinned is not None and pinned != (row.pinned_at is not None):
        row.pinned_at = now if pinned else None
        changed["pinned"] = pinned
    if archived is not None and archived != is_archived(row, conversation):
        row.archived_at = now if archived else None
        changed["archived"] = archived
    if not changed:
        return conversation
    row.save(update_fields=["muted", "pinned_at", "archived_at", "updated_at"])
    audit_conversation("conversation.preferences_changed", user, conversation, changes=changed)
    conversation_changed(conversation, only=[user.pk])
    return conversation
