"""The embedded mode's message index: an FTS5 table fed by triggers on the message table.

Created (and repaired) after every ``migrate`` rather than by a migration: on SQLite Django alters
a table by rebuilding it, which drops its triggers; this pass puts them back and refills the index
from the messages whenever a trigger was missing.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

TABLE = "conversations_message_fts"
TRIGGERS = {
    "conversations_message_fts_insert": """CREATE TRIGGER conversations_message_fts_insert
        AFTER INSERT ON conversations_message WHEN new.deleted_at IS NULL AND new.body != ''
        BEGIN
            INSERT INTO conversations_message_fts (body, message_id) VALUES (new.body, new.id);
        END""",
    # An edit replaces the indexed text; a deletion (body emptied, deleted_at set) removes it.
    "conversations_message_fts_update": """CREATE TRIGGER conversations_message_fts_update
        AFTER UPDATE OF body, deleted_at ON conversations_message
        BEGIN
            DELETE FROM conversations_message_fts WHERE message_id = old.id;
            INSERT INTO conversations_message_fts (body, message_id)
                SELECT new.body, new.id WHERE new.deleted_at IS NULL AND new.body != '';
        END""",
    "conversations_message_fts_delete": """CREATE TRIGGER conversations_message_fts_delete
        AFTER DELETE ON conversations_message
        BEGIN
            DELETE FROM conversations_message_fts WHERE message_id = old.id;
        END""",
}


def ensure_index(using: str = "default", **_: Any) -> None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name LIKE %s",
            [f"{TABLE}%"],
        )
        present = {row[0] for row in cursor.fetchall()}
        if "conversations_message" not in connection.introspection.table_names(cursor):
            return
        missing = [name for name in TRIGGERS if name not in present]
        if TABLE in present and not missing:
            return
        cursor.execute(
            """CREATE VIRTUAL TABLE IF NOT EXISTS conversations_message_fts USING fts5(
                body, message_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')"""
        )
        for name in missing:
            cursor.execute(TRIGGERS[name])
        # Messages written while a trigger was missing (or before the index existed).
        cursor.execute("DELETE FROM conversations_message_fts")
        cursor.execute(
            """INSERT INTO conversations_message_fts (body, message_id)
                SELECT body, id FROM conversations_message
                WHERE deleted_at IS NULL AND body != ''"""
        )


def match_expression(terms: list[str]) -> str:
    """Every term as a quoted prefix (terms are folded: ``[a-z0-9]`` only, nothing to escape)."""
    return " ".join(f'"{term}"*' for term in terms)
