"""New directory rows in bulk: PostgreSQL's COPY, the ORM's bulk_create elsewhere.

The import profile (README, Performance) showed most of its time in building and compiling
model instances for ``bulk_create`` (prepare_value and parameter quoting per field), not in the
database: new rows go in with one COPY per batch instead, as plain tuples.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import Q
from django.db.models.lookups import Lookup
from django.utils import timezone

from backend.directory.models import DirectoryAddress, DirectoryEntry

# Every concrete column but the id, in the table's order (user_id: imported entries have none).
_ENTRY_COLUMNS = [str(f.column) for f in DirectoryEntry._meta.concrete_fields if not f.primary_key]


if TYPE_CHECKING:
    _Lookup = Lookup[Any]
else:
    _Lookup = Lookup  # not subscriptable at run time


class _AnyOf(_Lookup):
    """``column = ANY(%s)`` with one array parameter: a batch's 2,000 keys as ``IN (%s, ...)``
    cost more in client-side query building (psycopg's query splitting) than in the database."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        return "%s", (list(value),)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


models.CharField.register_lookup(_AnyOf)
models.BigAutoField.register_lookup(_AnyOf)


def any_of(field: str, values: Sequence[Any]) -> Q:
    """``field IN values``, as one array parameter on PostgreSQL."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__any_of": list(values)})
    return Q(**{f"{field}__in": list(values)})


def insert_entries(
    fields: Sequence[str], rows: list[tuple[str, str, list[Any]]], run_id: int
) -> dict[str, int]:
    """``rows``: (key, row_hash, the values of ``fields``). Returns the new entries' ids by key:
    on PostgreSQL taken from the sequence before the COPY (which returns nothing), so no query
    reads them back."""
    if not rows:
        return {}
    now = timezone.now()
    common = {
        "active": True,
        "last_seen_import": run_id,
        "created_at": now,
        "updated_at": now,
        "user_id": None,
    }
    if connection.vendor != "postgresql":
        created = DirectoryEntry.objects.bulk_create(
            [
                DirectoryEntry(
                    key=key, row_hash=row_hash, **dict(zip(fields, values, strict=True)), **common
                )
                for key, row_hash, values in rows
            ]
        )
        return {entry.key: entry.id for entry in created}
    columns = ["key", "row_hash", *fields, *common]
    assert set(columns) == set(_ENTRY_COLUMNS), set(_ENTRY_COLUMNS) ^ set(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('directory_directoryentry', 'id')) "
            "FROM generate_series(1, %s)",
            [len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        statement = f"COPY directory_directoryentry (id, {', '.join(columns)}) FROM STDIN"
        tail = list(common.values())
        with cursor.cursor.copy(statement) as copy:
            for entry_id, (key, row_hash, values) in zip(ids, rows, strict=True):
                copy.write_row([entry_id, key, row_hash, *values, *tail])
    return {row[0]: entry_id for entry_id, row in zip(ids, rows, strict=True)}


def insert_addresses(rows: list[tuple[str, str, int]], run_id: int) -> None:
    """``rows``: (address, kind, entry id)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        DirectoryAddress.objects.bulk_create(
            DirectoryAddress(address=address, kind=kind, entry_id=entry_id, last_seen_import=run_id)
            for address, kind, entry_id in rows
        )
        return
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            "COPY directory_directoryaddress (address, kind, entry_id, active, last_seen_import) "
            "FROM STDIN"
        ) as copy,
    ):
        for address, kind, entry_id in rows:
            copy.write_row((address, kind, entry_id, True, run_id))
