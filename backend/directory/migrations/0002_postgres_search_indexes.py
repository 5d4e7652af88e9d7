"""PostgreSQL only: pg_trgm and GIN trigram indexes for the ``LIKE '% word%'`` searches.

Conditioned on the vendor so that SQLite (the embedded default) migrates too; there the search
scans, which is fine at development sizes.
"""

from django.db import migrations

INDEXES = {
    "directory_entry_search_trgm": "USING gin (search_norm gin_trgm_ops)",
    "directory_entry_profession_trgm": "USING gin (profession_norm gin_trgm_ops)",
    "directory_entry_city_prefix": "(city_norm varchar_pattern_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON directory_directoryentry {definition}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
