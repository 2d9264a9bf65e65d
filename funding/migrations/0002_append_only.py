"""The database itself refuses to change or delete a posted ledger entry or approval.

PostgreSQL (the system of record) gets a trigger function; SQLite (the embedded demo) gets the
equivalent triggers, so that the demo behaves the same. TRUNCATE fires no row trigger: 0005 adds
a statement trigger that refuses it.
"""

from django.db import migrations

TABLES = ("funding_ledgerentry", "funding_approval")

POSTGRES = """
CREATE OR REPLACE FUNCTION funding_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % is refused; post a reversal instead',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION funding_refuse_change();
"""
    for table in TABLES
)

POSTGRES_REVERSE = "".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES
) + "DROP FUNCTION IF EXISTS funding_refuse_change();"

SQLITE = [
    f"""
CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}
BEGIN
    SELECT RAISE(ABORT, 'ledger rows are append-only: post a reversal instead');
END;
"""
    for table in TABLES
    for op in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()};" for table in TABLES for op in ("UPDATE", "DELETE")
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the trigger's message uses %, which execute() would take for a parameter.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES)
    else:
        for statement in SQLITE:
            schema_editor.execute(statement)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(POSTGRES_REVERSE)
    else:
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("funding", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
