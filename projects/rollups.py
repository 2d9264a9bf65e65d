"""Project counts per group (`ProjectRollup`), kept by the database itself.

A project belongs to one group: its programme, whether it is published, its field, category
and status, and whether it is a flagship. Triggers on the projects table add each statement's
difference to the groups, in the statement's own transaction: on PostgreSQL one upsert per
statement from its transition tables (a bulk insert of 100,000 projects is one grouped
upsert), on SQLite (the embedded demo) per row. A group left without projects is deleted, so a
programme without projects has no rows and can be deleted. No write can bypass them, neither
`QuerySet.update()` nor raw SQL; only TRUNCATE, which empties both tables in the tests.

On PostgreSQL the trigger function runs as the tables' owner (SECURITY DEFINER), so the
runtime role reads the counts but cannot write them (aidportal/database/privileges.py).
`differences()` recomputes them for `check_ledger`.
"""

from decimal import Decimal
from typing import Any

from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Count, Sum

from projects.models import Project, ProjectRollup

GROUP = ("programme_id", "published", "field", "category", "status", "flagship")
SUMS = ("projects", "planned_investment")
TABLE = ProjectRollup._meta.db_table
FUNCTION = "projects_rollup_upkeep"
PROJECTS = Project._meta.db_table

_KEYS = ", ".join(GROUP)
_ADD = (
    f"projects = {TABLE}.projects + EXCLUDED.projects, "
    f"planned_investment = {TABLE}.planned_investment + EXCLUDED.planned_investment"
)
_UPSERT = f"""
    INSERT INTO {TABLE} ({_KEYS}, projects, planned_investment)
    SELECT {_KEYS}, sum(n), sum(amount) FROM ({{rows}}) AS changed
    GROUP BY {_KEYS}
    HAVING sum(n) <> 0 OR sum(amount) <> 0
    ORDER BY {_KEYS}
    ON CONFLICT ({_KEYS}) DO UPDATE SET {_ADD};
    DELETE FROM {TABLE} WHERE projects = 0
"""
_NEW = f"SELECT {_KEYS}, 1 AS n, planned_investment AS amount FROM new_rows"
_OLD = f"SELECT {_KEYS}, -1 AS n, -planned_investment AS amount FROM old_rows"

POSTGRESQL = [
    f"""
    CREATE FUNCTION {FUNCTION}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_UPSERT.format(rows=_NEW)};
        ELSIF TG_OP = 'DELETE' THEN
            {_UPSERT.format(rows=_OLD)};
        ELSE
            {_UPSERT.format(rows=_NEW + " UNION ALL " + _OLD)};
        END IF;
        RETURN NULL;
    END;
    $$
    """,
    f"REVOKE ALL ON FUNCTION {FUNCTION}() FROM PUBLIC",
    *[
        f"CREATE TRIGGER {PROJECTS}_rollup_{event.lower()} AFTER {event} ON {PROJECTS} "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    ],
]


def _sqlite_add(row: str, sign: str) -> str:
    values = ", ".join(f"{row}.{name}" for name in GROUP)
    match = " AND ".join(f"{name} = {row}.{name}" for name in GROUP)
    return (
        f"INSERT OR IGNORE INTO {TABLE} ({_KEYS}, projects, planned_investment) "
        f"VALUES ({values}, 0, 0); "
        f"UPDATE {TABLE} SET projects = projects {sign} 1, "
        f"planned_investment = planned_investment {sign} {row}.planned_investment "
        f"WHERE {match}; "
        f"DELETE FROM {TABLE} WHERE projects = 0;"
    )


SQLITE = [
    f"CREATE TRIGGER {PROJECTS}_rollup_{event.lower()} AFTER {event} ON {PROJECTS} BEGIN {body} END"
    for event, body in (
        ("INSERT", _sqlite_add("NEW", "+")),
        ("UPDATE", _sqlite_add("OLD", "-") + " " + _sqlite_add("NEW", "+")),
        ("DELETE", _sqlite_add("OLD", "-")),
    )
]


def install(schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Create the triggers and count the projects already there (run by the migration, as the
    tables' owner)."""
    vendor = schema_editor.connection.vendor
    for statement in POSTGRESQL if vendor == "postgresql" else SQLITE:
        schema_editor.execute(statement, params=None)
    schema_editor.execute(
        f"INSERT INTO {TABLE} ({_KEYS}, projects, planned_investment) "
        f"SELECT {_KEYS}, count(*), sum(planned_investment) FROM {PROJECTS} GROUP BY {_KEYS}",
        params=None,
    )


def uninstall(schema_editor: BaseDatabaseSchemaEditor) -> None:
    for event in ("insert", "update", "delete"):
        on = f" ON {PROJECTS}" if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {PROJECTS}_rollup_{event}{on}", None)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()", params=None)


def expected() -> dict[tuple[Any, ...], dict[str, Any]]:
    """The groups as the projects make them, computed from the projects."""
    return {
        tuple(row[name] for name in GROUP): {
            "projects": row["n"],
            "planned_investment": row["planned"] or Decimal("0"),
        }
        for row in Project.objects.order_by()
        .values(*GROUP)
        .annotate(n=Count("pk"), planned=Sum("planned_investment"))
    }


def differences() -> list[str]:
    """Every count or sum that disagrees with the projects, as lines for `check_ledger`. A
    stored group left empty is no difference."""
    want = expected()
    have = {
        tuple(row[name] for name in GROUP): row
        for row in ProjectRollup.objects.values(*GROUP, *SUMS)
    }
    lines = []
    for key in sorted(want.keys() | have.keys(), key=str):
        for name in SUMS:
            stored, counted = have.get(key, {}).get(name, 0), want.get(key, {}).get(name, 0)
            if stored != counted:
                group = " ".join(str(part) for part in key)
                lines.append(f"project counts {group} {name}: stored {stored}, projects {counted}")
    return lines
