"""The rules of a result that span tables, in the database: the score is within the exam's
maximum, and the student is enrolled in the result's cohort. The service checks them first, for
a friendly message; the trigger makes them true whatever writes. PostgreSQL (the system of
record) gets a trigger function; SQLite (the embedded demo) gets the equivalent triggers."""

from django.db import migrations

POSTGRES = """
CREATE FUNCTION education_result_rules() RETURNS trigger AS $$
BEGIN
    IF NEW.score IS NOT NULL AND NEW.score > (
        SELECT maximum_score FROM education_exam WHERE id = NEW.exam_id
    ) THEN
        RAISE EXCEPTION 'score % is above the exam''s maximum', NEW.score
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM education_enrolment
        WHERE student_id = NEW.student_id AND cohort_id = NEW.cohort_id
    ) THEN
        RAISE EXCEPTION 'the student is not enrolled in the cohort'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER education_result_rules
BEFORE INSERT OR UPDATE ON education_examresult
FOR EACH ROW EXECUTE FUNCTION education_result_rules();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS education_result_rules ON education_examresult;
DROP FUNCTION IF EXISTS education_result_rules();
"""


BROKEN = """
    (NEW.score IS NOT NULL AND NEW.score > (
        SELECT maximum_score FROM education_exam WHERE id = NEW.exam_id
    ))
    OR NOT EXISTS (
        SELECT 1 FROM education_enrolment
        WHERE student_id = NEW.student_id AND cohort_id = NEW.cohort_id
    )
"""
SQLITE = [
    f"""
CREATE TRIGGER education_result_rules_{op.lower()} BEFORE {op} ON education_examresult
WHEN {BROKEN}
BEGIN
    SELECT RAISE(ABORT, 'the score is above the exam''s maximum or the student is not enrolled');
END;
"""
    for op in ("INSERT", "UPDATE")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS education_result_rules_{op.lower()};" for op in ("INSERT", "UPDATE")
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
    dependencies = [("education", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
