"""The statement-level guard that refuses TRUNCATE of an append-only table, to every role.

Row triggers do not fire on TRUNCATE, and privileges do not bind a table's owner, so without
this guard the owner could still empty the ledger in one statement. Migrations install it with
`truncate_guard(*tables)`. PostgreSQL only: SQLite has no TRUNCATE (its DELETE without WHERE
fires the row triggers, where there are any).

Tests empty the database between transactional tests over the owner's connection, disabling
these triggers inside that one transaction (tests/conftest.py); nothing else may.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

FUNCTION = "refuse_truncate"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table: TRUNCATE of % is refused', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def trigger_name(table: str) -> str:
    return f"{table}_no_truncate"


def truncate_guard(*tables: str) -> migrations.RunPython:
    """A migration operation that installs the guard on each table (and removes it backwards)."""

    def install(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.connection.ops.quote_name
        # A plain cursor: the message uses %, which execute() would take for a parameter.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(CREATE_FUNCTION)
            for table in tables:
                cursor.execute(
                    f"CREATE TRIGGER {quote(trigger_name(table))} BEFORE TRUNCATE "
                    f"ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                )

    def remove(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.connection.ops.quote_name
        with schema_editor.connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    f"DROP TRIGGER IF EXISTS {quote(trigger_name(table))} ON {quote(table)}"
                )

    return migrations.RunPython(install, remove)
