"""Programme-level running totals (`FundingRollup`, `FundingRollupYear`), kept in step with the
project totals, the budget lines and each project's grouping, in the same transaction.

A project contributes to exactly one group: its programme, whether it is published, its field, its
category, its plan period and its place's level (what the grassroots share reads). Its contribution
is its planned investment, its totals row, its per-year totals, its due amounts and how many
illustrative entries and budget lines it has. Every change that can alter a contribution runs inside
`keeping_rollups(project_id)`, which reads the project's contribution before and after the change
and adds the difference to the groups with one upsert each: `funding.services` for entries,
reversals and approvals, and the signal handlers below for a project's or a budget line's save and
delete, and a place's change of level. The project's totals row is locked first, as the services
lock it, so a concurrent entry waits and never adds to the group the project has just left.

A bulk posting (`services.record_entries`) knows what it changed in each project's totals and
years: `add_changes` adds that to the groups directly, with one upsert each.

A bulk load runs inside `deferred_rollups()`: the changes only note which programmes they
touch, and those programmes' rollups are rebuilt once at the end, in the same transaction.

`rebuild()` recomputes the rollups from scratch with a few GROUP BY queries; `check_ledger`
compares them with the same computation. Bulk `QuerySet.update()` on projects or budget lines
bypasses the signals: run `manage.py check_ledger --rebuild-rollups` after one.
"""

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Aggregate, Count, Exists, Model, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from funding.models import (
    BudgetLine,
    FundingRollup,
    FundingRollupYear,
    LedgerEntry,
    ProjectFunding,
    ProjectFundingYear,
)
from projects.models import Project
from reference.models import Place

ZERO = Decimal("0")
KEY = ("programme_id", "published", "field", "category", "plan_period_key", "place_level")
BASE_SUMS = ("projects", "planned", "committed", "arrived", "disbursed", "spent", "pending")
YEAR_SUMS = ("present", "illustrative", "due", "arrived", "disbursed", "spent")
COUNTS = {"projects": 0, "present": 0, "illustrative": 0}
# The project columns a contribution depends on: a change to any of them moves or resizes it.
GROUPING = (
    "programme_id",
    "published",
    "field",
    "category",
    "plan_period_id",
    "place_id",
    "planned_investment",
)
# What a group is read from, on a project (prefixed on a related row).
GROUP_NAMES = ("programme_id", "published", "field", "category", "plan_period_id", "place__level")

# A group: programme, published, field, category, plan period (0 for none) and place level
# (blank for none); a year's group adds the year.
Key = tuple[int | bool | str, ...]
Groups = dict[Key, dict[str, Decimal | int]]
# A group's key followed by the amounts to add to its sums.
Row = tuple[int | bool | str | Decimal, ...]


def _key(row: dict[str, Any], prefix: str = "") -> Key:
    return (
        row[f"{prefix}programme_id"],
        row[f"{prefix}published"],
        row[f"{prefix}field"],
        row[f"{prefix}category"],
        row[f"{prefix}plan_period_id"] or 0,
        row[f"{prefix}place__level"] or "",
    )


def _grouped(
    queryset: QuerySet[Model], prefix: str, extra: tuple[str, ...] = ()
) -> QuerySet[Model, dict[str, Any]]:
    names = [f"{prefix}{name}" for name in GROUP_NAMES]
    return queryset.order_by().values(*names, *extra)


def contributions(projects: Q) -> tuple[Groups, Groups]:
    """The groups' sums over the projects matching `projects` (a Q on Project): one dict per
    group key, and one per (group key, year)."""
    base: Groups = defaultdict(lambda: {name: COUNTS.get(name, ZERO) for name in BASE_SUMS})
    years: Groups = defaultdict(lambda: {name: COUNTS.get(name, ZERO) for name in YEAR_SUMS})
    owned = Q(project__in=Project.objects.filter(projects).values("pk"))

    for row in _grouped(Project.objects.filter(projects), "").annotate(
        n=Count("pk"), planned=Sum("planned_investment")
    ):
        sums = base[_key(row)]
        sums["projects"] += row["n"]
        sums["planned"] += row["planned"] or ZERO
    for row in _grouped(ProjectFunding.objects.filter(owned), "project__").annotate(
        **{name: Sum(name) for name in BASE_SUMS[2:]}
    ):
        sums = base[_key(row, "project__")]
        for name in BASE_SUMS[2:]:
            sums[name] += row[name] or ZERO

    def add_years(queryset: QuerySet[Model], year: str, **sums: Aggregate) -> None:
        for row in _grouped(queryset, "project__", (year,)).annotate(**sums):
            target = years[(*_key(row, "project__"), row[year])]
            for name in sums:
                target[name] += row[name] or 0

    add_years(
        ProjectFundingYear.objects.filter(owned),
        "year",
        present=Count("pk"),
        arrived=Sum("arrived"),
        disbursed=Sum("disbursed"),
        spent=Sum("spent"),
    )
    add_years(due_lines(owned), "year", present=Count("pk"), due=Sum("amount"))
    add_years(BudgetLine.objects.filter(owned, illustrative=True), "year", illustrative=Count("pk"))
    add_years(
        LedgerEntry.objects.filter(owned, illustrative=True).annotate(
            entry_year=ExtractYear("date")
        ),
        "entry_year",
        illustrative=Count("pk"),
    )
    return base, years


def due_lines(lines: Q) -> QuerySet[BudgetLine]:
    """Each project-year's due amount: the revised line where there is one, else the original."""
    revised = BudgetLine.objects.filter(
        project=OuterRef("project"), year=OuterRef("year"), kind=BudgetLine.Kind.REVISED
    )
    return BudgetLine.objects.filter(lines).filter(
        Q(kind=BudgetLine.Kind.REVISED) | Q(~Exists(revised), kind=BudgetLine.Kind.ORIGINAL)
    )


def _difference(after: Groups, before: Groups, names: tuple[str, ...]) -> Iterator[Row]:
    for key in after.keys() | before.keys():
        new, old = after.get(key, {}), before.get(key, {})
        delta = [new.get(name, 0) - old.get(name, 0) for name in names]
        if any(delta):
            yield (*key, *delta)


def _upsert(
    model: type[Model], columns: tuple[str, ...], sums: tuple[str, ...], rows: Iterable[Row]
) -> None:
    """Add each row's sums to its group, creating the group when it is new."""
    rows = list(rows)
    if not rows:
        return
    table = model._meta.db_table
    qn = connection.ops.quote_name
    names = ", ".join(qn(name) for name in (*columns, *sums))
    marks = ", ".join(["%s"] * (len(columns) + len(sums)))
    additions = ", ".join(f"{qn(n)} = {table}.{qn(n)} + EXCLUDED.{qn(n)}" for n in sums)
    conflict = ", ".join(qn(name) for name in columns)
    sql = (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {additions}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _apply(after: tuple[Groups, Groups], before: tuple[Groups, Groups]) -> None:
    _upsert(FundingRollup, KEY, BASE_SUMS, _difference(after[0], before[0], BASE_SUMS))
    _upsert(
        FundingRollupYear, (*KEY, "year"), YEAR_SUMS, _difference(after[1], before[1], YEAR_SUMS)
    )


_deferral = threading.local()


def _deferring(project_ids: Iterable[int] = ()) -> bool:
    """Whether a bulk load defers the upkeep; if so, note the projects' programmes."""
    programmes = getattr(_deferral, "programmes", None)
    if programmes is None:
        return False
    programmes.update(
        Project.objects.filter(pk__in=list(project_ids)).values_list("programme_id", flat=True)
    )
    return True


@contextmanager
def deferred_rollups() -> Iterator[None]:
    """For bulk loads: skip the per-change upkeep inside, and rebuild the rollups of every
    programme the changes touched at the end, in the same transaction: a few GROUP BY queries
    instead of a dozen queries per change."""
    if getattr(_deferral, "programmes", None) is not None:
        yield  # already deferring: the outer block rebuilds
        return
    _deferral.programmes = set()
    try:
        with transaction.atomic():
            yield
            touched, _deferral.programmes = _deferral.programmes, None
            if touched:
                rebuild(touched)
    finally:
        _deferral.programmes = None


@contextmanager
def keeping_rollups(project_id: int) -> Iterator[None]:
    """Run a change to one project's funding or grouping, then add what it changed to the
    rollups. Call it with the project's totals row locked, or let it lock the row."""
    with transaction.atomic(savepoint=False):
        ProjectFunding.objects.select_for_update().filter(project_id=project_id).exists()
        if _deferring([project_id]):
            yield
            return
        one = Q(pk=project_id)
        before = contributions(one)
        yield
        _apply(contributions(one), before)


def add_changes(
    base: dict[int, dict[str, Decimal]], years: dict[tuple[int, int], dict[str, Decimal | int]]
) -> None:
    """Add to the rollups what a bulk posting changed, already known: per project the change
    of its totals (names of BASE_SUMS), per (project, year) the change of the year's sums (names
    of YEAR_SUMS; `present` counts the year rows it created). One query reads the projects'
    groups and one upsert per table adds, instead of reading every contribution twice. Call it
    with the projects' totals rows locked."""
    ids = sorted({*base, *(project_id for project_id, _year in years)})
    if not ids or _deferring(ids):
        return
    groups = {
        row["pk"]: _key(row)
        for row in Project.objects.filter(pk__in=ids).values("pk", *GROUP_NAMES)
    }
    base_groups: Groups = defaultdict(lambda: dict.fromkeys(BASE_SUMS, ZERO))
    for project_id, changes in base.items():
        target = base_groups[groups[project_id]]
        for name, change in changes.items():
            target[name] += change
    year_groups: Groups = defaultdict(lambda: dict.fromkeys(YEAR_SUMS, ZERO))
    for (project_id, year), year_changes in years.items():
        year_target = year_groups[(*groups[project_id], year)]
        for name, year_change in year_changes.items():
            year_target[name] += year_change
    _apply((base_groups, year_groups), ({}, {}))


def rebuild(programme_ids: Iterable[int] | None = None) -> None:
    """Recompute the rollups of the given programmes (all when None) from the project totals,
    budget lines and entries."""
    scope = Q() if programme_ids is None else Q(programme_id__in=list(programme_ids))
    with transaction.atomic():
        rollups = FundingRollup.objects.all()
        rollup_years = FundingRollupYear.objects.all()
        if programme_ids is not None:
            rollups = rollups.filter(programme_id__in=list(programme_ids))
            rollup_years = rollup_years.filter(programme_id__in=list(programme_ids))
        rollups.delete()
        rollup_years.delete()
        _apply(contributions(scope), ({}, {}))


# Projects and budget lines are saved from the admin, the demo loader and the projects app,
# which knows nothing of funding: their changes reach the rollups through signals. The instance
# being saved carries the contributions from before the save until its post-save signal.
BEFORE = "_funding_rollups_before"


def _stash(instance: Project | BudgetLine, project_ids: set[int]) -> None:
    if transaction.get_connection().in_atomic_block:
        # Wait for any entry being posted on these projects, as keeping_rollups does.
        ProjectFunding.objects.select_for_update().filter(project_id__in=project_ids).exists()
    if _deferring(project_ids):
        return
    setattr(instance, BEFORE, [(pk, contributions(Q(pk=pk))) for pk in sorted(project_ids)])


def _settle(instance: Project | BudgetLine, *, deleted: bool = False) -> None:
    for pk, before in instance.__dict__.pop(BEFORE, []):
        _apply(({}, {}) if deleted else contributions(Q(pk=pk)), before)


@receiver(pre_save, sender=Project)
def _project_changing(
    sender: type[Project], instance: Project, raw: bool = False, **kwargs: object
) -> None:
    if raw or instance.pk is None:
        return
    stored = Project.objects.filter(pk=instance.pk).values(*GROUPING).first()
    if stored is not None and any(stored[name] != getattr(instance, name) for name in GROUPING):
        _stash(instance, {instance.pk})


@receiver(post_save, sender=Project)
def _project_changed(
    sender: type[Project],
    instance: Project,
    created: bool = False,
    raw: bool = False,
    **kwargs: object,
) -> None:
    if raw or _deferring([instance.pk]):
        return
    if created:
        _apply(contributions(Q(pk=instance.pk)), ({}, {}))
    else:
        _settle(instance)


@receiver(pre_delete, sender=Project)
def _project_deleting(sender: type[Project], instance: Project, **kwargs: object) -> None:
    _stash(instance, {instance.pk})


@receiver(post_delete, sender=Project)
def _project_deleted(sender: type[Project], instance: Project, **kwargs: object) -> None:
    _settle(instance, deleted=True)


@receiver(pre_save, sender=BudgetLine)
@receiver(pre_delete, sender=BudgetLine)
def _line_changing(
    sender: type[BudgetLine], instance: BudgetLine, raw: bool = False, **kwargs: object
) -> None:
    if raw:
        return
    projects = {instance.project_id}
    if instance.pk is not None:
        # A line moved to another project changes both projects' contributions.
        projects |= set(
            BudgetLine.objects.filter(pk=instance.pk).values_list("project_id", flat=True)
        )
    _stash(instance, projects)


@receiver(post_save, sender=BudgetLine)
@receiver(post_delete, sender=BudgetLine)
def _line_changed(
    sender: type[BudgetLine], instance: BudgetLine, raw: bool = False, **kwargs: object
) -> None:
    if raw:
        return
    _settle(instance)


@receiver(pre_save, sender=Place)
def _place_changing(
    sender: type[Place], instance: Place, raw: bool = False, **kwargs: object
) -> None:
    if raw or instance.pk is None:
        return
    stored = Place.objects.filter(pk=instance.pk).values_list("level", flat=True).first()
    if stored is not None and stored != instance.level:
        setattr(instance, BEFORE, True)


@receiver(post_save, sender=Place)
def _place_changed(
    sender: type[Place], instance: Place, raw: bool = False, **kwargs: object
) -> None:
    # A place changes level rarely: rebuild the programmes with projects there.
    if raw or not instance.__dict__.pop(BEFORE, False):
        return
    programmes = set(Project.objects.filter(place=instance).values_list("programme_id", flat=True))
    if programmes and not _deferring(
        Project.objects.filter(place=instance).values_list("pk", flat=True)
    ):
        rebuild(programmes)


def differences() -> list[str]:
    """Every rollup value that disagrees with the project totals, budget lines and entries, as
    lines for `check_ledger`. A stored group with nothing in it left is no difference."""
    expected_base, expected_years = contributions(Q())
    stored_base = {
        tuple(row[k] for k in KEY): row for row in FundingRollup.objects.values(*KEY, *BASE_SUMS)
    }
    stored_years = {
        tuple(row[k] for k in (*KEY, "year")): row
        for row in FundingRollupYear.objects.values(*KEY, "year", *YEAR_SUMS)
    }
    lines = []
    for expected, stored, names in (
        (expected_base, stored_base, BASE_SUMS),
        (expected_years, stored_years, YEAR_SUMS),
    ):
        for key in sorted(expected.keys() | stored.keys(), key=str):
            want, have = expected.get(key, {}), stored.get(key, {})
            for name in names:
                if want.get(name, 0) != have.get(name, 0):
                    group = " ".join(str(part) for part in key)
                    lines.append(
                        f"rollup {group} {name}: rollup {have.get(name, 0)}, "
                        f"totals {want.get(name, 0)}"
                    )
    return lines
