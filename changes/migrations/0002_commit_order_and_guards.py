"""Events take their feed position as their transaction commits, and cannot be emptied.

An id from a sequence is taken when the row is written, so a transaction that commits late can
add an event with a lower id than one a reader has already passed: a feed ordered by id would
skip it. Instead a deferred constraint trigger numbers each event at COMMIT, under a
transaction-level advisory lock held until the commit is visible, so positions follow commit
order: a reader who sees position n has seen every position below it. The lock is taken last in
each transaction, after every row lock, so it cannot deadlock; it serialises only the moment of
commit of transactions that wrote events. The function runs as the table's owner (SECURITY
DEFINER): the runtime role may only insert events, never update them."""

from django.db import migrations

from core.guards import truncate_guard

# Any number unique to this lock among the portal's advisory locks.
LOCK = 7_140_003

CREATE = f"""
CREATE SEQUENCE changes_event_position_seq;
CREATE FUNCTION changes_event_set_position() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({LOCK});
    UPDATE changes_event SET position = nextval('changes_event_position_seq') WHERE id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER changes_event_position AFTER INSERT ON changes_event
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION changes_event_set_position();
"""

DROP = """
DROP TRIGGER IF EXISTS changes_event_position ON changes_event;
DROP FUNCTION IF EXISTS changes_event_set_position();
DROP SEQUENCE IF EXISTS changes_event_position_seq;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [
        migrations.RunPython(install, remove),
        truncate_guard("changes_event", "changes_eventaudience"),
    ]
