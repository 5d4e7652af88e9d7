"""`liaison_refuse(sqlstate)`: raises an error with that SQLSTATE (PostgreSQL only).

The one-statement send (`conversations.send_statement`) calls it when the message's
`client_id` is already taken, so that the whole statement aborts and gives back the seq it
took: a plain SQL expression cannot raise, and a CASE of a constant that fails would be folded
(and raised) by the planner whatever the branch."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION liaison_refuse(code text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = code, MESSAGE = 'liaison: refused (' || code || ')';
END
$$;
"""
BACKWARD = "DROP FUNCTION IF EXISTS liaison_refuse(text);"


def _on_postgresql(sql):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("conversations", "0008_message_reply_forward_urgent")]

    operations = [migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD))]
