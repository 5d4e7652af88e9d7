"""A plain `message.send` of a WebSocket, sent from the event loop on PostgreSQL (issue #21).

The send is one statement (`conversations.send_statement`), here with the socket's session check
folded in, run on a small pool of autocommit asyncio psycopg connections of this process. No
worker thread is involved, so:
- the trip to the thread and back, and the session check's own query, are gone;
- several sockets' sends wait for the database (the commit's WAL flush) at the same time, where
  the one worker thread of Channels made them queue behind each other; PostgreSQL then flushes
  their commits together.

What the statement needs besides is read once in a thread (the statement itself, built once per
process; the sender's person, then held in memory). A send the event
loop cannot finish goes down the general path (`ws_handlers.send_message`, in a worker thread),
which answers as it always did: a statement that wrote nothing (not found, not taking part, a
resend, a session that is over), a database error (the general path is idempotent by client_id, so a
send whose answer was lost is answered with the stored message). A team mailbox among the
participants is looked up in a thread after the commit; so is a Web Push notice, when this
process cannot tell from memory that no recipient subscribed.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

from backend import metrics
from backend.accounts.people import people_cached, people_peek
from conversations import actions, events, frames, send_statement, sending
from conversations.payloads import MessagePayload
from conversations.push import schedule as push
from conversations.representations import message_payload

logger = logging.getLogger(__name__)


class _Pool:
    """A few autocommit psycopg connections of one event loop, made on demand."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.made = 0
        self.idle: asyncio.LifoQueue[Any] = asyncio.LifoQueue()
        self.all: weakref.WeakSet[Any] = weakref.WeakSet()

    async def acquire(self) -> Any:
        if self.idle.empty() and self.made < self.size:
            self.made += 1
            try:
                conn = await _connect()
            except BaseException:
                self.made -= 1
                raise
            self.all.add(conn)
            return conn
        return await self.idle.get()

    def release(self, conn: Any, broken: bool) -> None:
        if broken or conn.closed:
            self.made -= 1
            conn.pgconn.finish()
            return
        self.idle.put_nowait(conn)


async def _connect() -> Any:
    import psycopg

    params = connection.get_connection_params()  # Django's, with its type loaders
    params.pop("cursor_factory", None)
    # Prepared at first use (`prepare=True`); never by counting other statements.
    params["prepare_threshold"] = 2**31 - 1
    return await psycopg.AsyncConnection.connect(autocommit=True, **params)


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = weakref.WeakKeyDictionary()


def _pool() -> _Pool:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        # Sends in flight together, each waiting for its commit.
        pool = _pools[loop] = _Pool(settings.WS_SEND_POOL_SIZE)
    return pool


def close_all() -> None:
    """Closes every pooled connection of this process (tests, between two databases)."""
    for pool in list(_pools.values()):
        for conn in list(pool.all):
            conn.pgconn.finish()
    _pools.clear()


def enabled() -> bool:
    return (
        connection.vendor == "postgresql"
        and settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
        and settings.WS_SEND_FROM_EVENT_LOOP
    )


async def send(
    user: Any, data: dict[str, Any], origin: str, session: tuple[str | None, float | None]
) -> MessagePayload | None:
    """The stored message's payload, its fan-out sent; None: the general path must answer."""
    if not enabled() or not session[0]:
        return None
    actions.validate_body(data["body"], False)  # the DomainError answers the frame
    # The participation rule's shape with team mailboxes, whoever sends: it is the rule of an
    # active professional (`sending.through_teams`), and for anyone else its team part finds no
    # mailbox, while an inactive user fails the session check. So no read of the user's
    # professional record (which, kept on each socket's user, would weigh on idle sockets).
    teams = True
    # Read once, in a thread: the statement (built once per process: it compiles ORM queries)
    # and the sender's person (the process's people cache).
    statement = send_statement.built(teams, session=True)
    if statement is None:
        statement = await database_sync_to_async(send_statement.statement_for)(teams, True)
    person = people_peek(user.pk)
    if person is None:
        person = (await database_sync_to_async(people_cached)([user.pk])).get(str(user.pk))
        if person is None:
            return None
    message, params = send_statement.bind(
        statement,
        user,
        teams,
        data["conversation"],
        data["client_id"],
        data["body"],
        session=(session[0], session[1]),
    )
    row = await _run(statement.sql, params)
    if row is None:
        return None
    message, direct, mailboxes = send_statement.stored(statement, message, row)
    metrics.inc("liaison_messages_sent_total")
    team = None
    recipients = direct
    if mailboxes:
        recipients, team = await database_sync_to_async(sending.with_team_members)(
            message.conversation, user.pk, direct, mailboxes
        )
    payload = message_payload(message, person, team, [])
    targets = sorted({str(u) for u in recipients})
    await events.fan_out(
        [{"users": targets, "payload": events.deliver_payload(frames.message_new(payload), origin)}]
    )
    others = [u for u in recipients if u != user.pk]
    if others and push.may_be_subscribed(others):
        await database_sync_to_async(push.schedule_now)(str(message.pk), others)
    return payload


async def _run(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    import psycopg

    pool = _pool()
    try:
        conn = await pool.acquire()
    except psycopg.Error:
        logger.warning("message send: no database connection from the event loop")
        return None
    broken = True  # unless the statement ran to its end: a cancelled one leaves it busy
    try:
        cursor = conn.cursor()
        await cursor.execute(sql, params, prepare=True)
        row: tuple[Any, ...] | None = await cursor.fetchone()
        broken = False
        return row
    except psycopg.Error as exc:
        broken = conn.closed or not isinstance(exc, psycopg.errors.IntegrityError)
        if exc.sqlstate != send_statement.CLIENT_ID_TAKEN:
            logger.warning(
                "message send from the event loop failed: the general path answers",
                extra={"event": "message.send.fallback", "sqlstate": exc.sqlstate},
            )
        return None
    finally:
        pool.release(conn, broken)
