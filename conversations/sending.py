"""The statements of one message send, as few as the database allows (issue #21).

The profile of the send path showed its time in building ORM queries, not in the database:
28 statements per WebSocket `message.send` (session, access, lock, seq, read state with a
savepoint, audit, then the representation built twice). Here:

- `take_next_seq`: participation check, row lock and seq increment in one
  `UPDATE … WHERE id IN (<the user takes part>) RETURNING *` (PostgreSQL, SQLite ≥ 3.35). The row
  stays locked until commit, so concurrent senders still get 1, 2, 3 … without gaps, and a
  rollback (a duplicate client_id, say) gives the number back.
- `mark_own_read`: the sender's read cursor in one upsert (INSERT … ON CONFLICT DO UPDATE).
- `recipients_and_team`: the participants in one query; the team lookups only when the
  conversation has a team mailbox.
- the sender's Person from `backend.accounts.people.people_cached`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from backend.accounts.access import (
    clinical_member_user_ids,
    professional_of,
    team_mailboxes_query,
)
from backend.compiled import CompiledQuery
from backend.errors import NotFound
from conversations.models import Conversation, Participant, ReadState
from conversations.teams import team_of


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound("Conversation introuvable.") from exc


def _participation(teams: bool) -> CompiledQuery:
    def build(key: uuid.UUID, user_id: uuid.UUID) -> Any:
        takes_part = Participant.objects.filter(
            conversation_id=OuterRef("pk"), left_at__isnull=True
        )
        direct = Q(user_id=user_id)
        if teams:
            direct |= Q(mailbox_id__in=team_mailboxes_query(user_id))
        return Conversation.objects.filter(pk=key).filter(Exists(takes_part.filter(direct)))

    return CompiledQuery(lambda k, u: build(k, u).values("pk"), (uuid.UUID, uuid.UUID))


# The two shapes of the participation rule: a professional may take part through a team
# mailbox too (`access.conversations_for`).
_ALLOWED = {True: _participation(teams=True), False: _participation(teams=False)}


def _next_seq_sql(inner: str) -> str:
    def qn(name: str | None) -> str:
        return connection.ops.quote_name(str(name))

    meta = Conversation._meta
    columns = ", ".join(qn(f.column) for f in meta.concrete_fields)
    seq = qn(meta.get_field("last_seq").column)
    activity = qn(meta.get_field("last_activity_at").column)
    return (
        f"UPDATE {qn(meta.db_table)} SET {seq} = {seq} + 1, {activity} = %s "  # noqa: S608  # nosec B608: model names
        f"WHERE {qn(meta.pk.column)} IN ({inner}) RETURNING {columns}"
    )


def take_next_seq(user: Any, conversation_id: Any) -> Conversation:
    """The conversation, locked, its `last_seq` already the new message's seq; "not found" for
    missing and not-a-participant alike (the rule of `access.conversations_for`)."""
    key = _uuid(conversation_id)
    if not getattr(user, "is_authenticated", False):
        raise NotFound("Conversation introuvable.")
    teams = professional_of(user) is not None and bool(getattr(user, "is_active", False))
    inner, params = _ALLOWED[teams].sql(key, user.pk)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = list(Conversation.objects.raw(_next_seq_sql(inner), [now, *params]))
    if not rows:
        raise NotFound("Conversation introuvable.")
    return rows[0]


def mark_own_read(conversation: Conversation, user: Any, seq: int) -> None:
    """The sender has read what they wrote: one upsert."""
    ReadState.objects.bulk_create(
        [ReadState(conversation=conversation, user=user, last_read_seq=seq)],
        update_conflicts=True,
        unique_fields=["conversation", "user"],
        update_fields=["last_read_seq", "updated_at"],
    )


def recipients_and_team(
    conversation: Conversation, sender_id: Any
) -> tuple[set[uuid.UUID], dict[str, Any] | None]:
    """Everyone who sees the conversation (`access.participant_user_ids`'s rule) and the team the
    sender speaks for, if they take part only through a team mailbox."""
    rows = Participant.objects.filter(conversation=conversation, left_at__isnull=True)
    direct: set[uuid.UUID] = set()
    mailboxes: list[uuid.UUID] = []
    for user_id, mailbox_id in rows.values_list("user_id", "mailbox_id"):
        if user_id is not None:
            direct.add(user_id)
        elif mailbox_id is not None:
            mailboxes.append(mailbox_id)
    if not mailboxes:
        return direct, None
    team = None if sender_id in direct else team_of(conversation.pk, sender_id)
    return direct | clinical_member_user_ids(mailboxes), team
