"""PostgreSQL only: the ranked index's names in the "C" collation (search.ranked_order).

A family-name prefix (« lefevre », « dup ») is then a range of the index that the ranked page
reads from its start and stops after the page, whatever the database's collation; before, a
dense block of one family name was collected and sorted (16,000 rows at 500,000 entries).
"""

from django.db import migrations

TABLE = "directory_directoryentry"
BYTE_ORDER = '(listing, family_norm COLLATE "C", given_norm COLLATE "C", id) WHERE active'
DATABASE_ORDER = "(listing, family_norm, given_norm, id) WHERE active"


def _rebuild(schema_editor, definition):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS directory_entry_ranked")
    schema_editor.execute(f"CREATE INDEX directory_entry_ranked ON {TABLE} {definition}")


def create(apps, schema_editor):
    _rebuild(schema_editor, BYTE_ORDER)


def drop(apps, schema_editor):
    _rebuild(schema_editor, DATABASE_ORDER)


class Migration(migrations.Migration):
    dependencies = [("directory", "0006_fewer_btree_indexes")]

    operations = [migrations.RunPython(create, drop)]
