"""« Every query word starts a word of the column », answered by a GIN index of the words.

The folded columns hold lower-case ASCII words separated by single spaces (``text.fold``). On
PostgreSQL the column's words become a ``tsvector`` without any parser or dictionary
(``array_to_tsvector`` of the split string) and a query word a prefix lexeme (``'dup':*``), so a
GIN index of those words answers the match exactly. The profile at 100,000 and 500,000 entries
(README, Performance) showed why it replaced the trigram indexes: a word index has about 15
entries per row instead of about 100 trigrams (2 MB instead of 18 MB at 100,000 rows, cheaper to
maintain on import) and needs no recheck of a ``LIKE`` on the long search column.

For a count, the rarest word alone may be read by the index and the other words checked on its
rows (``LIKE``): GIN reads every prefix word's whole list before intersecting them, and the count
of « centre hospitalier evreux » read 306,000 positions (130,000 each for « centre » and
« hospitalier ») to keep 11,934 rows (EXPLAIN ANALYZE at 510,000 entries, README Performance).
Which word is rarest comes from the index's own statistics (``pg_stats`` of the indexed
expression: the frequent words and their frequency, as the planner reads them), kept per process.
Elsewhere (SQLite) the condition is a ``LIKE`` per word, which scans, fine at development sizes.
"""

from __future__ import annotations

from typing import Any

from django.db import connection as default_connection
from django.db.models import BooleanField, Expression

from backend.process_cache import ProcessCache

# The indexed expression; the index is used only for this exact text (migration 0005).
WORDS_SQL = "array_to_tsvector(array_remove(string_to_array({column}, ' '), ''))"
# The GIN index of each folded column's words (migration 0005).
WORD_INDEXES = {
    "search_norm": "directory_entry_search_words",
    "profession_norm": "directory_entry_profession_words",
    "name_norm": "directory_entry_name_words",
}
# The rarest word alone is read by the index when the other words' lists are together at least
# this many times longer (EXPLAIN ANALYZE at 510,000 entries, README Performance): a row read
# and checked costs about as much as 10 to 20 list positions, and a count stops at 1,001 rows.
# « centre hospitalier evreux » (26 %, 26 % and 9 % of the rows): 5.6, the count 40 -> 18 ms;
# « jean moreau » (5 % and 3 %, 839 rows in common): 1.5, reading « moreau » alone and checking
# « jean » on its 17,000 rows took 28 ms instead of 12.
OTHERS_OVER_RAREST = 4


def _load_frequencies(columns: list[str]) -> dict[str, dict[str, float]]:
    """Column -> {frequent word: share of rows} from the last ANALYZE (none before one)."""
    by_index = {WORD_INDEXES[c]: c for c in columns if c in WORD_INDEXES}
    found: dict[str, dict[str, float]] = {c: {} for c in columns}
    with default_connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, most_common_elems::text::text[], most_common_elem_freqs "
            "FROM pg_stats WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [list(by_index)],
        )
        for index, elements, shares in cursor.fetchall():
            if elements and shares:
                found[by_index[index]] = dict(zip(elements, shares, strict=False))
    return found


FREQUENCIES: ProcessCache[str, dict[str, float]] = ProcessCache(
    "directory-word-frequencies", 600, _load_frequencies, emptied_by=()
)


def indexed_words(column: str, words: list[str]) -> list[str]:
    """The words to read by the index: the rarest alone when the others are much more frequent
    (``OTHERS_OVER_RAREST``), else all of them (GIN intersects their lists)."""
    if len(words) < 2:
        return list(words)
    frequent = FREQUENCIES.get_many([column]).get(column, {})
    if not frequent:
        return list(words)  # no statistics yet: no way to tell

    def share(word: str) -> float:
        # As the planner estimates a prefix lexeme: the frequent words it starts, summed (a
        # word starting none of them is rarer than all of them: 0).
        return sum(f for lexeme, f in frequent.items() if lexeme.startswith(word))

    shares = {word: share(word) for word in words}
    rarest = min(words, key=lambda word: (shares[word], -len(word)))
    others = sum(shares.values()) - shares[rarest]
    return [rarest] if others >= OTHERS_OVER_RAREST * shares[rarest] else list(words)


class AllWordsStart(Expression):
    """True when every one of ``words`` (folded, [a-z0-9] only) starts a word of ``column``.

    ``by_rarest``: let the index read the rarest word only (``indexed_words``), for a count,
    which stops at 1,001 rows. Not for the ranked tiers, which read all their matches: for
    « every word in the name » of « zoe le goff », reading « goff » alone fetched and checked
    16,633 rows for none kept (65 ms, cold after an import) where intersecting the three lists
    gave 819 rows to check (26 ms; EXPLAIN ANALYZE at 510,000 entries)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, words: list[str], *, by_rarest: bool = False) -> None:
        super().__init__()
        self.column, self.words, self.by_rarest = column, list(words), by_rarest

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str, ...]]:
        table = compiler.query.get_meta().db_table
        target = connection.ops.quote_name(table) + "." + connection.ops.quote_name(self.column)
        checked = list(self.words)
        sql: list[str] = []
        params: list[str] = []
        if connection.vendor == "postgresql" and self.words:
            indexed = indexed_words(self.column, self.words) if self.by_rarest else self.words
            checked = [word for word in self.words if word not in indexed]
            # The words are folded to [a-z0-9], so quoting them as lexemes needs no escaping.
            sql.append(WORDS_SQL.format(column=target) + " @@ %s::tsquery")
            params.append(" & ".join(f"'{word}':*" for word in indexed))
        for word in checked:  # [a-z0-9] only: no LIKE wildcard to escape
            sql.append(f"({target} LIKE %s OR {target} LIKE %s)")
            params += [word + "%", "% " + word + "%"]
        return " AND ".join(sql) or "1 = 1", tuple(params)
