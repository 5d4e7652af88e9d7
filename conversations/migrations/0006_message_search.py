"""Full-text search of message text (conversations.search), one index per database vendor.

PostgreSQL: the ``unaccent`` extension (trusted since PostgreSQL 13: the database owner may create
it), a French text search configuration that unaccents before stemming (« Échographie » and
« echographie » give the same lexeme), and a GIN index on the expression the search queries.
An expression index follows edits by itself; deleted messages (body emptied, ``deleted_at`` set)
leave the partial index.

SQLite (embedded default): an FTS5 table kept in step by triggers, created after every migrate by
``conversations.search.sqlite.ensure_index`` (post_migrate) rather than here: a later migration
that rebuilds the message table on SQLite (how Django alters a table there) drops its triggers, and
the post_migrate pass puts them back and refills the index.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'liaison_fr') THEN
            CREATE TEXT SEARCH CONFIGURATION liaison_fr (COPY = pg_catalog.french);
            ALTER TEXT SEARCH CONFIGURATION liaison_fr
                ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
        END IF;
    END $$""",
    """CREATE INDEX IF NOT EXISTS conversations_message_fts
        ON conversations_message USING gin (to_tsvector('liaison_fr'::regconfig, body))
        WHERE deleted_at IS NULL""",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS conversations_message_fts",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS liaison_fr",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("conversations", "0005_push")]

    operations = [
        migrations.RunPython(_run({"postgresql": PG_FORWARD}), _run({"postgresql": PG_BACKWARD}))
    ]
