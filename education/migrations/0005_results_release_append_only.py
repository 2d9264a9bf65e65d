"""The database itself keeps releases append-only: a release is never changed or deleted, and a
new one supersedes the latest release of the same cohort and exam, numbered one more. PostgreSQL
(the system of record) gets a trigger function; SQLite (the embedded demo) gets the equivalent
triggers. TRUNCATE is left alone: it is how test databases are emptied."""

from django.db import migrations

POSTGRES = """
CREATE FUNCTION education_release_rules() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'results releases are append-only: % is refused; release again instead',
            TG_OP USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.supersedes_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM education_resultsrelease
        WHERE id = NEW.supersedes_id AND cohort_id = NEW.cohort_id AND exam_id = NEW.exam_id
            AND number = NEW.number - 1
    ) THEN
        RAISE EXCEPTION 'a release supersedes the previous release of its cohort and exam'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER education_release_rules
BEFORE INSERT OR UPDATE OR DELETE ON education_resultsrelease
FOR EACH ROW EXECUTE FUNCTION education_release_rules();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS education_release_rules ON education_resultsrelease;
DROP FUNCTION IF EXISTS education_release_rules();
"""

SQLITE = [
    *(
        f"""
CREATE TRIGGER education_release_no_{op.lower()} BEFORE {op} ON education_resultsrelease
BEGIN
    SELECT RAISE(ABORT, 'results releases are append-only: release again instead');
END;
"""
        for op in ("UPDATE", "DELETE")
    ),
    """
CREATE TRIGGER education_release_supersedes BEFORE INSERT ON education_resultsrelease
WHEN NEW.supersedes_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM education_resultsrelease
    WHERE id = NEW.supersedes_id AND cohort_id = NEW.cohort_id AND exam_id = NEW.exam_id
        AND number = NEW.number - 1
)
BEGIN
    SELECT RAISE(ABORT, 'a release supersedes the previous release of its cohort and exam');
END;
""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS education_release_no_update;",
    "DROP TRIGGER IF EXISTS education_release_no_delete;",
    "DROP TRIGGER IF EXISTS education_release_supersedes;",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the messages use %, which execute() would take for a parameter.
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
    dependencies = [("education", "0004_results_release")]

    operations = [migrations.RunPython(install, remove)]
