"""On SQLite (the embedded mode) the database refuses UPDATE and DELETE on audit events too.

SQLite has no TRUNCATE: a whole-database purge (a test database flush, a documented purge by the
operator) first puts a row in ``audit_purge_window``; the delete trigger lets rows go only then.
UPDATE is refused always, as on PostgreSQL.
"""

from django.db import migrations

FORWARD = [
    "CREATE TABLE IF NOT EXISTS audit_purge_window (opened_at TEXT NOT NULL)",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update
    BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete
    BEFORE DELETE ON audit_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM audit_purge_window)
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END""",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TABLE IF EXISTS audit_purge_window",
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
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(forward, backward)]
