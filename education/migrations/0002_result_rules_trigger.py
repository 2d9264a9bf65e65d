"""The rules of a result that span tables, in the database: the score is within the exam's
maximum, and the student is enrolled in the result's cohort. The service checks them first, for
a friendly message; the trigger makes them true whatever writes."""

from django.db import migrations

CREATE = """
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

DROP = """
DROP TRIGGER IF EXISTS education_result_rules ON education_examresult;
DROP FUNCTION IF EXISTS education_result_rules();
"""


class Migration(migrations.Migration):
    dependencies = [("education", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
