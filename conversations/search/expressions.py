"""The SQL of the search as Django expressions (no raw SQL strings): the PostgreSQL match is the
exact expression of the GIN index of migration 0006, so the planner uses the index."""

from __future__ import annotations

from django.db.models import BooleanField, CharField, F, Func, Value
from django.db.models.expressions import Case, When
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

# Templates name the configuration of migration 0006 (French stemming after unaccent).
SHORT_MESSAGE = 280  # shown whole; a longer one as fragments around the matches


class _TsQuery(Func):
    template = "to_tsquery('liaison_fr'::regconfig, %(expressions)s)"


class _PgMatch(Func):
    """``to_tsvector('liaison_fr', body) @@ to_tsquery('liaison_fr', %s)``."""

    template = "(to_tsvector('liaison_fr'::regconfig, %(expressions)s))"
    arg_joiner = ") @@ to_tsquery('liaison_fr'::regconfig, "
    output_field = BooleanField()


class _Headline(Func):
    template = "ts_headline('liaison_fr'::regconfig, %(expressions)s)"
    output_field = CharField()


class _SqliteMatch(Func):
    """``id IN (SELECT message_id FROM conversations_message_fts WHERE ... MATCH %s)``."""

    template = "(%(expressions)s))"
    arg_joiner = (
        " IN (SELECT message_id FROM conversations_message_fts"
        " WHERE conversations_message_fts MATCH "
    )
    output_field = BooleanField()


def pg_match(tsquery: str) -> Func:
    return _PgMatch(F("body"), Value(tsquery))


def pg_headline(tsquery: str, markers: str) -> Case:
    whole = _Headline(F("body"), _TsQuery(Value(tsquery)), Value(f"{markers}, HighlightAll=true"))
    fragments = _Headline(
        F("body"),
        _TsQuery(Value(tsquery)),
        Value(f'{markers}, MaxWords=24, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "'),
    )
    return Case(
        When(LessThanOrEqual(Length("body"), SHORT_MESSAGE), then=whole),
        default=fragments,
        output_field=CharField(),
    )


def sqlite_match(expression: str) -> Func:
    return _SqliteMatch(F("id"), Value(expression))
