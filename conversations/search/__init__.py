"""Full-text search of message text, across the user's conversations or inside one.

Accent- and case-insensitive, word-prefix matching (« echo » finds « Échographie »), scoped by
``conversations_for`` (a participant who left, a billing clerk of a team mailbox: nothing),
audited as a read. PostgreSQL: French text search with ``unaccent`` (migration 0006); SQLite: FTS5
with diacritics removed (``sqlite.ensure_index``). Snippets carry highlight markers as data
(``[{"text", "mark"}]``), never HTML: the client renders them as text.
"""
