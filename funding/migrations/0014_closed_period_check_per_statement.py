"""The closed-period trigger checks each INSERT statement once, over all the rows it adds (a
transition table), instead of running its query once per row: a bulk import of 100,000 entries
spent most of its insert time in the per-row query. The rule and its error are unchanged; the
SQLite demo keeps its per-row trigger."""

from django.db import migrations

POSTGRES = """
DROP TRIGGER funding_ledgerentry_open_period ON funding_ledgerentry;
DROP FUNCTION funding_ledgerentry_refuse_closed_period();
CREATE FUNCTION funding_ledgerentry_refuse_closed_period() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM inserted
        JOIN projects_project project ON project.id = inserted.project_id
        JOIN funding_closedperiod closed ON closed.programme_id = project.programme_id
        WHERE closed.year = EXTRACT(YEAR FROM inserted.date)
    ) THEN
        RAISE EXCEPTION 'ledger entry dated in a closed period' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER funding_ledgerentry_open_period AFTER INSERT ON funding_ledgerentry
REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION funding_ledgerentry_refuse_closed_period();
"""

POSTGRES_REVERSE = """
DROP TRIGGER funding_ledgerentry_open_period ON funding_ledgerentry;
DROP FUNCTION funding_ledgerentry_refuse_closed_period();
CREATE FUNCTION funding_ledgerentry_refuse_closed_period() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM funding_closedperiod closed
        JOIN projects_project project ON project.programme_id = closed.programme_id
        WHERE project.id = NEW.project_id AND closed.year = EXTRACT(YEAR FROM NEW.date)
    ) THEN
        RAISE EXCEPTION 'ledger entry dated in a closed period' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER funding_ledgerentry_open_period BEFORE INSERT ON funding_ledgerentry
FOR EACH ROW EXECUTE FUNCTION funding_ledgerentry_refuse_closed_period();
"""


def per_statement(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def per_row(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("funding", "0013_rollup_year_present_label")]

    operations = [migrations.RunPython(per_statement, per_row)]
