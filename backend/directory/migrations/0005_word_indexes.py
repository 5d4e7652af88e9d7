"""PostgreSQL only: GIN indexes of the folded columns' words replace the trigram indexes.

The profile at 100,000 entries (README, Performance): the trigram index of the search column was
18 MB against 2 MB for its words, took 2.6 s to build against 0.7 s, and its upkeep was the larger
part of the import's database time; a count of « dup » seq-scanned 30,000 rows checking the
``LIKE`` (28 ms) where the word index answers in 2 ms. The expression must stay the text of
``wordindex.WORDS_SQL`` or the planner does not use the index.
"""

from django.db import migrations

from backend.directory.wordindex import WORDS_SQL

WORD_INDEXES = {
    "directory_entry_search_words": "search_norm",
    "directory_entry_profession_words": "profession_norm",
    "directory_entry_name_words": "name_norm",
}
TRIGRAM_INDEXES = {
    "directory_entry_search_trgm": "USING gin (search_norm gin_trgm_ops)",
    "directory_entry_profession_trgm": "USING gin (profession_norm gin_trgm_ops)",
    "directory_entry_name_trgm": "USING gin (name_norm gin_trgm_ops)",
}
TABLE = "directory_directoryentry"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in WORD_INDEXES.items():
        expression = WORDS_SQL.format(column=column)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} USING gin ({expression})"
        )
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in TRIGRAM_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} {definition}")
    for name in WORD_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_ranked_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
