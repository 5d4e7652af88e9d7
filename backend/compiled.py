"""Querysets compiled to SQL once, run many times with other values (issue #21: on the message
path, building and compiling the ORM query cost more CPU than the database took to run it).

`CompiledQuery(build, kinds)`: `build(*sentinels)` returns the queryset for some values; it is
compiled once per database vendor with random sentinel values (a UUID or a string, by
`kinds`), the positions of the sentinels
among the parameters are remembered, and each call swaps in its own values. The ORM stays the
one place where the query is written; only its structure must not depend on the values (give
each shape of the query its own CompiledQuery)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, cast

from django.db import connection, models

_UUID = models.UUIDField()


class CompiledQuery:
    def __init__(self, build: Callable[..., Any], kinds: tuple[type, ...]) -> None:
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, tuple[str, list[Any], dict[int, int]]] = {}

    def sql(self, *values: Any) -> tuple[str, list[Any]]:
        """The SQL and its parameters for these values."""
        vendor = connection.vendor
        compiled = self._compiled.get(vendor)
        if compiled is None:
            compiled = self._compiled[vendor] = self._compile()
        sql, params, slots = compiled
        prepped = [_prep(kind, v) for kind, v in zip(self.kinds, values, strict=True)]
        return sql, [prepped[slots[i]] if i in slots else p for i, p in enumerate(params)]

    def _compile(self) -> tuple[str, list[Any], dict[int, int]]:
        sentinels = [
            uuid.uuid4() if kind is uuid.UUID else f"sentinel-{uuid.uuid4().hex}"
            for kind in self.kinds
        ]
        queryset = self.build(*sentinels)
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        marks = {_prep(k, s): n for n, (k, s) in enumerate(zip(self.kinds, sentinels, strict=True))}
        slots = {i: marks[p] for i, p in enumerate(params) if _hashable(p) and p in marks}
        if sorted(set(slots.values())) != list(range(len(self.kinds))):
            raise RuntimeError("a value of the compiled query is not among its parameters")
        return sql, list(params), slots


def _prep(kind: type, value: Any) -> Any:
    if kind is uuid.UUID:
        return _UUID.get_db_prep_value(uuid.UUID(str(value)), connection)
    return str(value)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


class CompiledInsert:
    """`INSERT` of one row of `model`, its SQL built once per database vendor (issue #21: the
    model `create`/`bulk_create` machinery cost more CPU than the three inserts of a message
    took in the database). Values are prepared by each field as `save()` would (defaults,
    `auto_now_add`, JSON, UUIDs). Not for models with signals on save, nor when the caller needs
    an auto-increment primary key back (it is left unset). `conflict`: the unique fields of an
    upsert, whose other columns in `update` take the new values, or with no `update` a row
    that is skipped (`save` says False); `partial`: the field whose NOT NULL is the condition of
    a partial unique index."""

    def __init__(
        self,
        model: type[models.Model],
        conflict: tuple[str, ...] = (),
        update: tuple[str, ...] = (),
        partial: str = "",
    ) -> None:
        meta = model._meta
        self.fields = [
            f
            for f in meta.local_concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
        ]
        self.model = model
        self.conflict = [meta.get_field(name).column for name in conflict]  # type: ignore[union-attr]
        self.update = [meta.get_field(name).column for name in update]  # type: ignore[union-attr]
        self.partial = meta.get_field(partial).column if partial else ""  # type: ignore[union-attr]
        self._sql: dict[str, str] = {}

    def _build(self) -> str:
        def qn(name: str | None) -> str:
            return connection.ops.quote_name(str(name))

        columns = ", ".join(qn(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        sql = f"INSERT INTO {qn(self.model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608: model names
        return f"{sql} {self.on_conflict()}" if self.conflict else sql

    def on_conflict(self) -> str:
        """The `ON CONFLICT …` clause of the upsert or skip (empty without `conflict`)."""
        if not self.conflict:
            return ""

        def qn(name: str | None) -> str:
            return connection.ops.quote_name(str(name))

        sql = f"ON CONFLICT ({', '.join(qn(c) for c in self.conflict)})"
        if self.partial:
            sql += f" WHERE {qn(self.partial)} IS NOT NULL"  # nosec B608: a column name
        if self.update:
            sets = ", ".join(f"{qn(c)} = EXCLUDED.{qn(c)}" for c in self.update)
            return f"{sql} DO UPDATE SET {sets}"  # nosec B608: quoted model column names
        return f"{sql} DO NOTHING"

    def save(self, obj: models.Model) -> bool:
        sql = self._sql.get(connection.vendor)
        if sql is None:
            sql = self._sql[connection.vendor] = self._build()
        values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in self.fields]
        with hot_cursor() as cursor:
            cursor.execute(sql, values)
            written = cursor.rowcount != 0
        if written:
            obj._state.adding = False
            obj._state.db = connection.alias
        return written


def fetch_instances(model: type[models.Model], sql: str, params: list[Any]) -> list[Any]:
    """`model.objects.raw(sql, params)` for SQL that returns the model's concrete columns in
    their order (`RETURNING *`-like), without RawQuerySet's per-query column resolution (issue
    #21: 15 % of a send's CPU for one row). Values go through the same converters as the ORM's."""
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return instances_from_rows(model, rows)


def instances_from_rows(model: type[models.Model], rows: Any) -> list[Any]:
    """Model instances from rows that hold the model's concrete columns in their order."""
    fields = model._meta.concrete_fields
    converters = _CONVERTERS.get((connection.vendor, model))
    if converters is None:
        converters = _CONVERTERS[(connection.vendor, model)] = [_converters(f) for f in fields]
    names = [f.attname for f in fields]
    found = []
    for row in rows:
        values = list(row)
        for n, (col, funcs) in enumerate(converters):
            for func in funcs:
                values[n] = func(values[n], col, connection)
        found.append(model.from_db(connection.alias, names, values))
    return found


_CONVERTERS: dict[tuple[str, type], list[tuple[Any, list[Any]]]] = {}


_FIELD_CONVERTERS: dict[tuple[str, Any], tuple[Any, list[Any]]] = {}


def _converters(field: Any) -> tuple[Any, list[Any]]:
    col = field.get_col(field.model._meta.db_table)
    return col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)


def from_db(field: Any, value: Any) -> Any:
    """A column's value as the cursor gave it, as the ORM would give it (SQLite: datetimes and
    UUIDs come as text)."""
    found = _FIELD_CONVERTERS.get((connection.vendor, field))
    if found is None:
        found = _FIELD_CONVERTERS[(connection.vendor, field)] = _converters(field)
    col, funcs = found
    for func in funcs:
        value = func(value, col, connection)
    return value


def hot_cursor(prepared: bool = False) -> Any:
    """A cursor for the statements above. On PostgreSQL, with server-side parameter binding
    (psycopg sends the values apart from the SQL): Django's default client-side binding quotes
    every value into the SQL in Python, 11 % of a send's CPU by the profile. Still Django's
    cursor wrapper (errors, query logging and counting, execute wrappers).

    `prepared`: the statement is also prepared on the connection at its first run and only
    executed after (psycopg's `prepare=True`), for the one statement of a message send whose
    planning took 0.5 ms of its 0.9 ms in the database. Other statements are not prepared:
    Django's `prepare_threshold` None stays for them (it also turns `prepare=True` off, so the
    cursor lifts it around its own statement). A pooler in transaction mode between the platform
    and PostgreSQL must keep prepared statements (PgBouncer ≥ 1.21 `max_prepared_statements`);
    the deployment has none."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = _cursor_class(prepared)(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


_CURSOR_CLASSES: dict[bool, Any] = {}
_ONLY_WHEN_ASKED = 2**31 - 1


def _cursor_class(prepared: bool) -> Any:
    found = _CURSOR_CLASSES.get(prepared)
    if found is None:
        from django.db.backends.postgresql.base import ServerBindingCursor

        found = cast(Any, ServerBindingCursor)
        if prepared:

            class PreparedCursor(found):  # type: ignore[valid-type,misc]
                def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
                    conn = self.connection
                    threshold = conn.prepare_threshold
                    # A number turns psycopg's preparation on; this one is never reached by
                    # counting, so only `prepare=True` prepares.
                    conn.prepare_threshold = _ONLY_WHEN_ASKED
                    try:
                        return super().execute(query, params, prepare=True, **kwargs)
                    finally:
                        conn.prepare_threshold = threshold

            found = PreparedCursor
        _CURSOR_CLASSES[prepared] = found
    return found
