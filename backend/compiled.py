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
from typing import Any

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
