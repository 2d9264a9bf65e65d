"""What the runtime role may do to each table: derived from the models, exceptions listed here.

Two PostgreSQL roles share the database. The owner (`MIGRATION_DATABASE_URL`, the `owner`
alias) owns every table and runs `migrate`. The runtime role (`DATABASE_URL`, the `default`
alias), which the web process and workers use, owns nothing. After every `migrate` the owner
resets the runtime role's privileges on every table of an installed model to SELECT, INSERT,
UPDATE and DELETE, except for the deliberate exceptions below. TRUNCATE, REFERENCES and TRIGGER
are never granted, and only an owner may ALTER, DROP or disable a trigger.

No default privileges are set: a table the owner creates outside `migrate` stays closed to the
runtime role until the next `migrate` grants what this module says.
"""

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from simple_history.models import HistoricalChanges

# Append-only records: the runtime role reads and adds rows, never changes or deletes one, and a
# statement trigger (core/guards.py) refuses TRUNCATE to every role.
APPEND_ONLY = (
    "funding.LedgerEntry",
    "funding.Approval",
    "funding.LedgerCheck",
    "medical.Transition",
    "medical.Verification",
    "medical.LeaderboardSnapshot",
    "medical.LeaderboardRow",
    "api.AuditEntry",
    "education.AccessLogEntry",
    "education.ResultsRelease",
    "changes.Event",
    "changes.EventAudience",
    "projects.WorkflowStep",
)

# Counts that database triggers keep, running as the owner: the runtime role only reads them.
KEPT_BY_TRIGGERS = ("projects.ProjectRollup",)

# Records written once and later deleted whole, never changed: a data file built in the
# background is replaced by the next build, row and file.
NEVER_CHANGED = ("opendata.Export",)

# Every change history (django-simple-history) is append-only as well, with one column the
# runtime role may update: deleting a staff login sets its history rows' user to NULL.
HISTORY_USER_COLUMN = "history_user_id"

# Tables that are not a model's: the runtime role reads the migration record (runserver and the
# health of a deployment check it) and only the owner writes it.
READ_ONLY_TABLES = ("django_migrations",)


def history_tables() -> list[str]:
    return sorted(
        model._meta.db_table for model in apps.get_models() if issubclass(model, HistoricalChanges)
    )


def append_only_tables() -> list[str]:
    """Every table whose rows are never changed or deleted by the application."""
    return sorted(apps.get_model(label)._meta.db_table for label in APPEND_ONLY) + history_tables()


def runtime_role() -> str:
    return settings.DATABASES[DEFAULT_DB_ALIAS].get("USER") or ""


def grant_runtime_privileges(*, using: str) -> list[str]:
    """Reset the runtime role's table privileges to what this module says, in one transaction,
    over the owner's connection `using`. Returns the statements run (none when the connection is
    not PostgreSQL or is the runtime role's own)."""
    connection = connections[using]
    runtime = runtime_role()
    if connection.vendor != "postgresql" or not runtime:
        return []
    if connection.settings_dict.get("USER") == runtime:
        return []
    quote = connection.ops.quote_name
    existing = set(connection.introspection.table_names(include_views=False))
    model_tables = sorted(
        existing & set(connection.introspection.django_table_names(include_views=False))
    )
    append_only = [table for table in append_only_tables() if table in existing]
    history = [table for table in history_tables() if table in existing]
    ordinary = [table for table in model_tables if table not in append_only]
    kept = {apps.get_model(label)._meta.db_table for label in KEPT_BY_TRIGGERS}
    replaced = [
        table
        for table in sorted(apps.get_model(label)._meta.db_table for label in NEVER_CHANGED)
        if table in existing
    ]
    ordinary = [table for table in ordinary if table not in kept and table not in replaced]
    read_only = [table for table in (*READ_ONLY_TABLES, *sorted(kept)) if table in existing]

    def names(tables):
        return ", ".join(quote(table) for table in tables)

    role = quote(runtime)
    grants = [
        ("SELECT, INSERT, UPDATE, DELETE", ordinary),
        ("SELECT, INSERT", append_only),
        ("SELECT, INSERT, DELETE", replaced),
        (f"UPDATE ({quote(HISTORY_USER_COLUMN)})", history),
        ("SELECT", read_only),
    ]
    statements = [f"REVOKE ALL ON TABLE {names(model_tables + read_only)} FROM {role}"]
    statements += [
        f"GRANT {privileges} ON TABLE {names(tables)} TO {role}"
        for privileges, tables in grants
        if tables
    ]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements


def grant_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    grant_runtime_privileges(using=using)
