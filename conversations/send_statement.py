"""A plain message send on PostgreSQL in one statement (issue #21).

The send used to be BEGIN, the seq `UPDATE … RETURNING`, the message INSERT, the read state
upsert, the audit INSERT, the participants SELECT and COMMIT: seven round trips to the database,
each paid in the daphne's CPU (psycopg) and in the send's latency. Here one statement of
data-modifying CTEs does it all, in autocommit, so it is its own transaction:

- `conv`: the participation check, the row lock and the gapless seq (`sending.take_next_seq`'s
  `UPDATE … WHERE id IN (<the user takes part>) RETURNING *`), only when this sender has no
  message under this client_id yet;
- `msg`: the message, `ON CONFLICT (sender, client_id) DO NOTHING`;
- the sender's read state (upsert) and the audit row, both only when `msg` wrote;
- the final SELECT reads the locked row and the participants.

No row back: the conversation is missing, the sender takes no part in it, or the client_id is
taken (a resend). The general path (`actions._send_message`) then answers, as it always did.
A resend racing its first send past the `NOT EXISTS` (both read before either committed) makes
`msg` write nothing after `conv` took a seq: the final SELECT then calls `liaison_refuse`, whose
error aborts the whole statement and so gives the seq back (`ClientIdTaken`).

The statement is prepared on its connection (`backend.compiled.hot_cursor(prepared=True)`).
psycopg forgets a prepared statement whose run failed and prepares it again under a new name:
the rare race above leaves one prepared statement behind on that connection until it closes.

The invariants hold: seq without gaps (the row lock is held to the statement's end, which is
its commit), exactly once per client_id (the partial unique index), the audit row in the same
transaction, fan-out after commit (the statement has committed when it returns; inside an outer
transaction, as in the tests, it runs under a savepoint and `on_commit` waits for the outer one).
Only plain sends come here: attachments, replies, urgent and forwarded messages take the
general path.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from backend.accounts import sessions
from backend.audit import log as audit_log
from backend.audit.models import AuditEvent
from backend.compiled import CompiledInsert, hot_cursor, instances_from_rows
from backend.patients.models import Patient
from conversations import sending
from conversations.models import Conversation, Message, Participant, ReadState

# The SQLSTATE `liaison_refuse` raises (migration conversations 0009): in the integrity
# class, so that Django does not take the connection for broken and close it.
CLIENT_ID_TAKEN = "23L09"


class NothingSent(Exception):
    """Nothing was written: the general path answers (see the module's docstring)."""


def available() -> bool:
    return connection.vendor == "postgresql"


def _qn(name: str | None) -> str:
    return connection.ops.quote_name(str(name))


def _column(model: type[models.Model], name: str) -> str:
    return _qn(model._meta.get_field(name).column)  # type: ignore[union-attr]


def _insert_select(
    insert: CompiledInsert, source: str, computed: dict[str, str], tail: str = ""
) -> tuple[str, list[models.Field[Any, Any]]]:
    """`INSERT INTO <table> (<columns>) SELECT <values> FROM <source> <tail>`: a field named in
    `computed` takes that SQL expression, every other one a parameter cast to its column's
    type (the values of a SELECT list have no target type to be inferred from). The fields whose
    values are parameters come back, in order."""
    expressions, bound = [], []
    for field in insert.fields:
        if field.name in computed:
            expressions.append(computed[field.name])
        else:
            expressions.append(f"CAST(%s AS {field.cast_db_type(connection)})")
            bound.append(field)
    columns = ", ".join(_qn(f.column) for f in insert.fields)
    table = _qn(insert.model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) SELECT {', '.join(expressions)} FROM {source} {tail}"  # noqa: S608  # nosec B608: model names
    return sql, bound


class _Statement:
    """The SQL, built once per process from the models, and the fields of its parameters."""

    def __init__(self, inner: str, session: bool) -> None:
        conversation = Conversation._meta
        columns = ", ".join(f"conv.{_qn(f.column)}" for f in conversation.concrete_fields)
        conv_id = f"conv.{_qn(conversation.pk.column)}"
        last_seq = f"conv.{_qn(conversation.get_field('last_seq').column)}"
        patient_id = f"conv.{_qn(conversation.get_field('patient').column)}"
        message = Message._meta
        self.message_sql, self.message_fields = _insert_select(
            sending.MESSAGE_INSERT,
            "conv",
            {
                "conversation": conv_id,
                "seq": last_seq,
            },
            sending.MESSAGE_INSERT.on_conflict() + f" RETURNING {_qn(message.pk.column)}",
        )
        self.read_sql, self.read_fields = _insert_select(
            sending.READ_STATE_INSERT,
            "conv, msg",
            {
                "conversation": conv_id,
                "last_read_seq": last_seq,
            },
            sending.READ_STATE_INSERT.on_conflict(),
        )
        patient = Patient._meta
        organization = (
            f"(SELECT p.{_column(Patient, 'organization')} FROM {_qn(patient.db_table)} p "  # noqa: S608  # nosec B608: model names
            f"WHERE p.{_qn(patient.pk.column)} = {patient_id})"
        )
        self.audit_sql, self.audit_fields = _insert_select(
            AUDIT_INSERT,
            "conv, msg",
            {
                "patient_id": patient_id,
                "organization": organization,
            },
        )
        user, mailbox = _column(Participant, "user"), _column(Participant, "mailbox")
        taking_part = (
            f"FROM {_qn(Participant._meta.db_table)} p "
            f"WHERE p.{_column(Participant, 'conversation')} = {conv_id} "
            f"AND p.{_column(Participant, 'left_at')} IS NULL"
        )
        not_yet = (
            f" AND NOT EXISTS (SELECT 1 FROM {_qn(message.db_table)} m "  # noqa: S608  # nosec B608: model names
            f"WHERE m.{_column(Message, 'sender')} = %s AND m.{_column(Message, 'client_id')} = %s)"
        )
        if session:
            not_yet += _session_alive_sql()
        self.width = len(conversation.concrete_fields)
        self.sql = (
            f"WITH conv AS ({sending.next_seq_sql(inner, not_yet)}), msg AS ({self.message_sql}), "  # noqa: S608  # nosec B608: model names
            f"own_read AS ({self.read_sql}), audit AS ({self.audit_sql}) "
            f"SELECT {columns}, "
            f"ARRAY(SELECT p.{user} {taking_part} AND p.{user} IS NOT NULL), "
            f"ARRAY(SELECT p.{mailbox} {taking_part} AND p.{mailbox} IS NOT NULL), "
            f"CASE WHEN msg.{_qn(message.pk.column)} IS NULL "
            f"THEN liaison_refuse('{CLIENT_ID_TAKEN}') END "
            "FROM conv LEFT JOIN msg ON TRUE"
        )


def _session_alive_sql() -> str:
    """The socket's session check (`sessions.session_is_alive`) as a condition: the session
    exists and is not expired, its user is active, and was not revoked after it signed in."""
    alive, _ = sessions.ALIVE.sql(uuid.uuid4(), "")
    return (
        f" AND EXISTS (SELECT 1 FROM ({alive}) alive (revoked) WHERE alive.revoked IS NULL "  # noqa: S608  # nosec B608: compiled ORM SQL
        "OR CAST(%s AS double precision) >= EXTRACT(EPOCH FROM alive.revoked))"
    )


AUDIT_INSERT = CompiledInsert(AuditEvent)
CONVERSATION_LABEL = Conversation._meta.label_lower
_STATEMENTS: dict[tuple[bool, bool], _Statement] = {}


def statement_for(teams: bool, session: bool) -> _Statement:
    """The statement of one shape (through team mailboxes or not; with the socket's session
    check or not), built once per process (it compiles ORM queries: not from the event loop)."""
    statement = _STATEMENTS.get((teams, session))
    if statement is None:
        inner, _ = sending.participation_sql(teams, uuid.uuid4(), uuid.uuid4())
        statement = _STATEMENTS[(teams, session)] = _Statement(inner, session)
    return statement


def built(teams: bool, session: bool) -> _Statement | None:
    return _STATEMENTS.get((teams, session))


def _prepared(insert_fields: list[models.Field[Any, Any]], obj: models.Model) -> list[Any]:
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in insert_fields]


def send_plain(
    sender: Any, conversation_id: Any, client_id: str, body: str
) -> tuple[Message, set[uuid.UUID], list[uuid.UUID]]:
    """The stored message (its conversation attached, locked seq and all), the users who take
    part directly and the team mailboxes that take part. `NothingSent` when nothing was written
    and the general path must answer (not found, not taking part, a resend)."""
    teams = sending.through_teams(sender)
    statement = statement_for(teams, session=False)
    message, params = bind(statement, sender, teams, conversation_id, client_id, body)
    rows = _run(statement.sql, params)
    if not rows:
        raise NothingSent
    return stored(statement, message, rows[0])


def bind(
    statement: _Statement,
    sender: Any,
    teams: bool,
    conversation_id: Any,
    client_id: str,
    body: str,
    session: tuple[str, float | None] | None = None,
) -> tuple[Message, list[Any]]:
    """The message to store and the statement's parameters. `session`: (key, signed in at)
    for the statement with the session check."""
    key = sending.conversation_key(conversation_id)
    _, inner_params = sending.participation_sql(teams, key, sender.pk)
    now = timezone.now()
    message = Message(
        id=uuid.uuid4(), conversation_id=key, seq=0, sender=sender, client_id=client_id, body=body
    )
    message.created_at = now
    read = ReadState(conversation_id=key, user=sender, updated_at=now)
    # The row `conversations.audit.audit_conversation` writes; its patient and organisation come
    # from the conversation's row inside the statement.
    data = {"message": str(message.pk), "attachments": 0}
    audit = audit_log.build_event(
        "message.sent", sender, None, CONVERSATION_LABEL, key, None, None, data
    )
    checks: list[Any] = [sender.pk, client_id]
    if session is not None:
        alive = sessions.ALIVE.sql(sender.pk, session[0])[1]
        checks += [*alive, session[1]]
    params = [
        connection.ops.adapt_datetimefield_value(now),
        *inner_params,
        *checks,
        *_prepared(statement.message_fields, message),
        *_prepared(statement.read_fields, read),
        *_prepared(statement.audit_fields, audit),
    ]
    return message, params


def stored(
    statement: _Statement, message: Message, row: tuple[Any, ...]
) -> tuple[Message, set[uuid.UUID], list[uuid.UUID]]:
    """The message as stored, from the statement's row."""
    conversation = instances_from_rows(Conversation, [row[: statement.width]])[0]
    direct_ids, mailbox_ids = row[statement.width], row[statement.width + 1]
    message.conversation = conversation
    message.seq = conversation.last_seq
    message._state.adding = False
    message._state.db = connection.alias
    return message, set(direct_ids), list(mailbox_ids)


def _run(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    try:
        if not connection.in_atomic_block:  # the statement is its own transaction
            return _execute(sql, params)
        with transaction.atomic():  # a savepoint: the outer transaction survives a refusal
            return _execute(sql, params)
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == CLIENT_ID_TAKEN:
            raise NothingSent from exc
        raise


def _execute(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with hot_cursor(prepared=True) as cursor:
        cursor.execute(sql, params)
        return cast(list[tuple[Any, ...]], cursor.fetchall())
