"""SQLite (the embedded mode): the delete trigger no longer has a way round it.

Migration 0003 let rows go while a row sat in ``audit_purge_window``, a table that only test
database flushes used. Tests now lift the trigger around their own flushes (tests/conftest.py,
with ``DELETE_TRIGGER`` below), so the table goes and DELETE is refused always, as UPDATE is.
"""

from django.db import migrations

DELETE_TRIGGER = """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete
    BEFORE DELETE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END"""

FORWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    DELETE_TRIGGER,
    "DROP TABLE IF EXISTS audit_purge_window",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "CREATE TABLE IF NOT EXISTS audit_purge_window (opened_at TEXT NOT NULL)",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete
    BEFORE DELETE ON audit_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM audit_purge_window)
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END""",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in FORWARD:
            schema_editor.execute(statement, params=())


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=())


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_sqlite_append_only_trigger")]
    operations = [migrations.RunPython(forward, backward)]
