"""Who may change a group (written in README.md, « Groupes et patient d'une conversation »).

- Any participant (a person, or a member of a team mailbox taking part) adds people and team
  mailboxes to a group, renames it, attaches or changes its patient; a one-to-one conversation
  gets no participant (the client offers to create a group instead).
- Only the group's administrator removes someone else: its creator while they take part, then
  the person who has taken part the longest. Everybody may leave a group; a one-to-one
  conversation is archived, not left.
- Somebody removed (or who left) stops receiving the conversation's frames at the commit and no
  longer sees it at all, history included, until added again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from conversations.groups.models import ConversationPreference
from conversations.models import Conversation, Participant


def group_admin_id(
    conversation: Conversation, active: Sequence[Participant] | None = None
) -> uuid.UUID | None:
    """The user who may remove others: the creator while present, else the longest-standing
    person (``active``: the conversation's active participants, when the caller has them)."""
    if conversation.kind != Conversation.Kind.GROUP:
        return None
    if active is None:
        active = list(
            Participant.objects.filter(
                conversation=conversation, left_at__isnull=True, user__isnull=False
            ).order_by("joined_at", "id")
        )
    people = sorted(
        (p for p in active if p.user_id is not None), key=lambda p: (p.joined_at, str(p.pk))
    )
    ids = [p.user_id for p in people]
    if conversation.created_by_id in ids:
        return conversation.created_by_id
    return ids[0] if ids else None


def is_archived(row: ConversationPreference | None, conversation: Conversation) -> bool:
    """Archived and quiet since (or muted): new activity brings a conversation back."""
    if row is None or row.archived_at is None:
        return False
    return row.muted or row.archived_at >= conversation.last_activity_at


def muted_user_ids(conversation_id: Any, user_ids: Iterable[uuid.UUID | str]) -> set[str]:
    """Those of ``user_ids`` who muted the conversation: notify the others only (Web Push)."""
    return {
        str(u)
        for u in ConversationPreference.objects.filter(
            conversation_id=conversation_id, user_id__in=list(user_ids), muted=True
        ).values_list("user_id", flat=True)
    }
