"""PostgreSQL only: the indexes of the ranked search (search.py), checked with EXPLAIN ANALYZE at
500,000 entries (README, Performance).

- ``directory_entry_ranked``: the result order (platform first, then family and given name) over
  active entries, so a page of a frequent word is read in order and stops after 20 rows instead
  of sorting every match.
- ``directory_entry_name_trgm``: the words of the name, for the « every word in the name » tier.
- ``*_prefix``: ``varchar_pattern_ops`` B-trees for the exact and starting-with tiers (the database
  collation is not "C", so a plain B-tree does not serve ``LIKE 'dup%'``).

Both vendors: ``rev_norm`` ("family given") filled for the entries imported before it existed; the
other new words (profession forms, keywords) arrive with the next import, whose row hashes differ.
"""

from django.db import migrations

INDEXES = {
    "directory_entry_ranked": "(listing, family_norm, given_norm, id) WHERE active",
    "directory_entry_family_prefix": "(family_norm varchar_pattern_ops)",
    "directory_entry_name_prefix": "(name_norm varchar_pattern_ops)",
    "directory_entry_rev_prefix": "(rev_norm varchar_pattern_ops)",
    # « every word in the name »: without it, that tier scanned the table for a frequent word.
    "directory_entry_name_trgm": "USING gin (name_norm gin_trgm_ops)",
}


def create(apps, schema_editor):
    schema_editor.execute(
        "UPDATE directory_directoryentry SET rev_norm = trim(family_norm || ' ' || given_norm) "
        "WHERE kind = 'person' AND rev_norm = ''"
    )
    schema_editor.execute(
        "UPDATE directory_directoryentry SET rev_norm = name_norm WHERE kind <> 'person'"
    )
    schema_editor.execute(
        "UPDATE directory_directoryentry SET listing = 0 WHERE source = 'platform'"
    )
    if schema_editor.connection.vendor != "postgresql":
        return
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
    dependencies = [("directory", "0003_search_words")]

    operations = [migrations.RunPython(create, drop)]
