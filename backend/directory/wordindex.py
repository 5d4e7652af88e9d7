"""« Every query word starts a word of the column », answered by a GIN index of the words.

The folded columns hold lower-case ASCII words separated by single spaces (``text.fold``). On
PostgreSQL the column's words become a ``tsvector`` without any parser or dictionary
(``array_to_tsvector`` of the split string) and a query word a prefix lexeme (``'dup':*``), so a
GIN index of those words answers the match exactly. The profile at 100,000 and 500,000 entries
(README, Performance) showed why it replaced the trigram indexes: a word index has about 15
entries per row instead of about 100 trigrams (2 MB instead of 18 MB at 100,000 rows, cheaper to
maintain on import), needs no recheck of a ``LIKE`` on the long search column, and intersects
the words of « centre hospitalier evreux » in the index. Elsewhere (SQLite) the same condition
is a ``LIKE`` per word, which scans, fine at development sizes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Expression

# The indexed expression; the index is used only for this exact text (migration 0005).
WORDS_SQL = "array_to_tsvector(array_remove(string_to_array({column}, ' '), ''))"


class AllWordsStart(Expression):
    """True when every one of ``words`` (folded, [a-z0-9] only) starts a word of ``column``."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, words: list[str]) -> None:
        super().__init__()
        self.column, self.words = column, list(words)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str, ...]]:
        table = compiler.query.get_meta().db_table
        target = connection.ops.quote_name(table) + "." + connection.ops.quote_name(self.column)
        if connection.vendor == "postgresql":
            # The words are folded to [a-z0-9], so quoting them as lexemes needs no escaping.
            query = " & ".join(f"'{word}':*" for word in self.words)
            return WORDS_SQL.format(column=target) + " @@ %s::tsquery", (query,)
        sql: list[str] = []
        params: list[str] = []
        for word in self.words:  # [a-z0-9] only: no LIKE wildcard to escape
            sql.append(f"({target} LIKE %s OR {target} LIKE %s)")
            params += [word + "%", "% " + word + "%"]
        return " AND ".join(sql) or "1 = 1", tuple(params)
