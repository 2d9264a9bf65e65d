"""Project counts per group (`ProjectRollup`), kept by the database itself.

A project belongs to one group: its programme, whether it is published, its field, category
and status, and whether it is a flagship. Triggers on the projects table add each statement's
difference to the groups, in the statement's own transaction: on PostgreSQL one upsert per
statement from its transition tables (a bulk insert of 100,000 projects is one grouped
upsert), on SQLite (the embedded demo) per row. A group left without projects is deleted, so a
programme without projects has no rows and can be deleted. No write can bypass them, neither
`QuerySet.update()` nor raw SQL; only TRUNCATE, which empties both tables in the tests.

Migration 0006_project_counts creates the triggers and counts the projects already there. On
PostgreSQL the trigger function runs as the tables' owner (SECURITY DEFINER), so the runtime
role reads the counts but cannot write them (aidportal/database/privileges.py).
`differences()` recomputes them for `check_ledger`.
"""

from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from projects.models import Project, ProjectRollup

GROUP = ("programme_id", "published", "field", "category", "status", "flagship")
SUMS = ("projects", "planned_investment")


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
