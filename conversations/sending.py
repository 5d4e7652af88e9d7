"""The statements of one message send, as few as the database allows (issue #21).

The profile of the send path showed its time in building ORM queries, not in the database:
28 statements per WebSocket `message.send` (session, access, lock, seq, read state with a
savepoint, audit, then the representation built twice). Here:

- `take_next_seq`: participation check, row lock and seq increment in one
  `UPDATE … WHERE id IN (<the user takes part>) RETURNING *` (PostgreSQL, SQLite ≥ 3.35). The row
  stays locked until commit, so concurrent senders still get 1, 2, 3 … without gaps, and a
  rollback (a duplicate client_id, say) gives the number back.
- `mark_own_read`: the sender's read cursor in one upsert (INSERT … ON CONFLICT DO UPDATE).
- `insert_message`: `INSERT … ON CONFLICT (sender, client_id) DO NOTHING`, which is the
  idempotency check too (a resend writes nothing; the caller rolls back and answers with the
  stored message), one round trip fewer than checking first.
- `insert_message`, `mark_own_read` and the audit row (`conversations.audit`) write through
  `CompiledInsert`, and `stored_message_id` and `recipients_and_team` read through compiled
  queries on the cursor: the profile after the statements were cut still showed Django's
  create/filter machinery (building, compiling, model iteration) at about a third of the
  send's CPU, the database itself far less.
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
from backend.compiled import CompiledInsert, CompiledQuery, fetch_instances, hot_cursor
from backend.errors import NotFound
from conversations.models import Conversation, Message, Participant, ReadState
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

    return CompiledQuery(lambda k, u: build(k, u).order_by().values("pk"), (uuid.UUID, uuid.UUID))


# The two shapes of the participation rule: a professional may take part through a team
# mailbox too (`access.conversations_for`).
_ALLOWED = {True: _participation(teams=True), False: _participation(teams=False)}


def next_seq_sql(inner: str, also: str = "") -> str:
    """`also`: a further condition on the conversation's row (SQL, with its own parameters)."""

    def qn(name: str | None) -> str:
        return connection.ops.quote_name(str(name))

    meta = Conversation._meta
    columns = ", ".join(qn(f.column) for f in meta.concrete_fields)
    seq = qn(meta.get_field("last_seq").column)
    activity = qn(meta.get_field("last_activity_at").column)
    return (
        f"UPDATE {qn(meta.db_table)} SET {seq} = {seq} + 1, {activity} = %s "  # noqa: S608  # nosec B608: model names
        f"WHERE {qn(meta.pk.column)} IN ({inner}){also} RETURNING {columns}"
    )


def conversation_key(conversation_id: Any) -> uuid.UUID:
    return _uuid(conversation_id)


def through_teams(user: Any) -> bool:
    """Whether the user may take part through a team mailbox too; "not found" for an anonymous
    user."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound("Conversation introuvable.")
    return professional_of(user) is not None and bool(getattr(user, "is_active", False))


def participation_sql(teams: bool, key: uuid.UUID, user_id: Any) -> tuple[str, list[Any]]:
    """The ids of this conversation when the user takes part in it (one shape per `teams`)."""
    return _ALLOWED[teams].sql(key, user_id)


def take_next_seq(user: Any, conversation_id: Any) -> Conversation:
    """The conversation, locked, its `last_seq` already the new message's seq; "not found" for
    missing and not-a-participant alike (the rule of `access.conversations_for`)."""
    key = _uuid(conversation_id)
    inner, params = participation_sql(through_teams(user), key, user.pk)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = fetch_instances(Conversation, next_seq_sql(inner), [now, *params])
    if not rows:
        raise NotFound("Conversation introuvable.")
    return rows[0]


READ_STATE_INSERT = CompiledInsert(
    ReadState, conflict=("conversation", "user"), update=("last_read_seq", "updated_at")
)
# Exactly once per (sender, client_id): the insert skips a row the partial unique index already
# has, and the caller rolls back (giving the seq back) and answers with the stored message.
MESSAGE_INSERT = CompiledInsert(Message, conflict=("sender", "client_id"), partial="sender")
_STORED = CompiledQuery(
    lambda sender, client_id: (
        Message.objects.filter(sender_id=sender, client_id=client_id).order_by().values("pk")[:1]
    ),
    (uuid.UUID, str),
)
_PARTICIPANTS = CompiledQuery(
    lambda key: (
        Participant.objects.filter(conversation_id=key, left_at__isnull=True)
        .order_by()
        .values("user_id", "mailbox_id")
    ),
    (uuid.UUID,),
)


def _as_uuid(value: Any) -> uuid.UUID | None:
    """A UUID column as the cursor gives it (SQLite: 32 hex characters)."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def _rows(compiled: CompiledQuery, *values: Any) -> list[tuple[Any, ...]]:
    sql, params = compiled.sql(*values)
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def stored_message(sender_id: Any, client_id: str) -> Message | None:
    """The message this sender already stored under this client_id (a resend), if any."""
    rows = _rows(_STORED, sender_id, client_id)
    return Message.objects.get(pk=str(_as_uuid(rows[0][0]))) if rows else None


def insert_message(message: Message) -> bool:
    """False: this sender already stored a message under this client_id (nothing written)."""
    return MESSAGE_INSERT.save(message)


def mark_own_read(conversation: Conversation, user: Any, seq: int) -> None:
    """The sender has read what they wrote: one upsert."""
    READ_STATE_INSERT.save(ReadState(conversation=conversation, user=user, last_read_seq=seq))


def recipients_and_team(
    conversation: Conversation, sender_id: Any
) -> tuple[set[uuid.UUID], dict[str, Any] | None]:
    """Everyone who sees the conversation (`access.participant_user_ids`'s rule) and the team the
    sender speaks for, if they take part only through a team mailbox."""
    direct: set[uuid.UUID] = set()
    mailboxes: list[uuid.UUID] = []
    for user_id, mailbox_id in _rows(_PARTICIPANTS, conversation.pk):
        if user_id is not None:
            direct.add(_as_uuid(user_id))  # type: ignore[arg-type]
        elif mailbox_id is not None:
            mailboxes.append(_as_uuid(mailbox_id))  # type: ignore[arg-type]
    return with_team_members(conversation, sender_id, direct, mailboxes)


def with_team_members(
    conversation: Conversation, sender_id: Any, direct: set[uuid.UUID], mailboxes: list[uuid.UUID]
) -> tuple[set[uuid.UUID], dict[str, Any] | None]:
    """`recipients_and_team` from the participants already read: the users who take part
    directly and the team mailboxes that do."""
    if not mailboxes:
        return direct, None
    team = None if sender_id in direct else team_of(conversation.pk, sender_id)
    return direct | clinical_member_user_ids(mailboxes), team
