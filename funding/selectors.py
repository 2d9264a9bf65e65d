"""Funding figures — one module for pages, admin and API, so they always agree.

Everything is read from running totals, never by scanning the ledger: figures over whole groups
of a programme's projects from the programme rollups (`FundingRollup`, `FundingRollupYear`, see
`funding.rollups`), figures over one project or one organisation's projects from the project
totals (`ProjectFunding`, `ProjectFundingYear`) and budget lines. Rates are exact Decimals;
round them once, at display.

- arrival rate = arrived ÷ planned investment
- disbursement rate = disbursed ÷ arrived
- payment rate (兑付率) of a year = disbursed in that year ÷ due that year (the year's budget
  lines, the revised line where there is one). It exceeds 100% when earlier years' backlog is
  paid, as in 2023's 134%.
"""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypedDict, TypeGuard, Unpack

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from modeltranslation.fields import NONE
from modeltranslation.settings import AVAILABLE_LANGUAGES as LANGUAGE_CODES
from modeltranslation.utils import build_localized_fieldname, resolution_order

from api.callers import Caller
from api.models import ApiKey
from core.fields import MoneyField
from funding import rollups
from funding.models import (
    Approval,
    BudgetLine,
    Donation,
    FundingRollup,
    FundingRollupYear,
    LedgerCheck,
    LedgerEntry,
    NotePublication,
    ProjectFunding,
    ProjectFundingYear,
)
from projects.models import Project
from projects.selectors import projects_known_to, projects_known_to_organisation
from reference.models import Place, PlanPeriod, Programme

ZERO = Decimal("0")
MONEY_ZERO = Value(ZERO)


def _rate(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class FundingFigures:
    planned: Decimal
    committed: Decimal
    arrived: Decimal
    disbursed: Decimal
    spent: Decimal
    pending: Decimal

    @property
    def arrival_rate(self) -> Decimal | None:
        return _rate(self.arrived, self.planned)

    @property
    def disbursement_rate(self) -> Decimal | None:
        return _rate(self.disbursed, self.arrived)

    @property
    def disbursable(self) -> Decimal:
        """What a disbursement may still take without going beyond arrivals: arrived less
        disbursed and the disbursements awaiting approval, which are reserved."""
        return max(self.arrived - self.disbursed - self.pending, ZERO)


@dataclass(frozen=True)
class YearFigures:
    year: int
    due: Decimal
    arrived: Decimal
    disbursed: Decimal
    spent: Decimal

    # A year that begins after the ledger's latest entry: nothing could have been paid yet.
    not_yet_due: bool = False

    @property
    def payment_rate(self) -> Decimal | None:
        return _rate(self.disbursed, self.due)


@dataclass(frozen=True)
class Scope:
    """The projects a set of figures covers. Figures over whole groups of a programme's projects
    (by publication, field, category or plan period) are read from the programme rollups, a few
    rows however many projects there are; a scope narrowed to one project or to the projects one
    organisation takes part in is read from the per-project totals."""

    public: bool
    programme: Programme | None = None
    project: str | None = None
    field: str | None = None
    category: str | None = None
    period: str | None = None
    organisation_id: int | None = None

    @property
    def whole_groups(self) -> bool:
        return not self.project and self.organisation_id is None

    def projects(self) -> QuerySet[Project]:
        projects = Project.objects.all()
        if self.public:
            projects = projects.filter(published=True)
        if self.programme is not None:
            projects = projects.filter(programme=self.programme)
        if self.project:
            projects = projects.filter(code=self.project)
        if self.field:
            projects = projects.filter(field=self.field)
        if self.category:
            projects = projects.filter(category=self.category)
        if self.period:
            projects = projects.filter(plan_period__code=self.period)
        if self.organisation_id is not None:
            known = projects_known_to_organisation(self.organisation_id)
            projects = projects.filter(pk__in=known.values("pk"))
        return projects

    def rollups(
        self, model: type[FundingRollup] | type[FundingRollupYear]
    ) -> QuerySet[FundingRollup | FundingRollupYear]:
        rows = model.objects.all()
        if self.public:
            rows = rows.filter(published=True)
        if self.programme is not None:
            rows = rows.filter(programme=self.programme)
        if self.field:
            rows = rows.filter(field=self.field)
        if self.category:
            rows = rows.filter(category=self.category)
        if self.period:
            periods = PlanPeriod.objects.filter(code=self.period).values("pk")
            rows = rows.filter(plan_period_key__in=periods)
        return rows


def projects_in_scope(
    *,
    public: bool,
    programme: Programme | None = None,
    project: str | None = None,
    field: str | None = None,
    category: str | None = None,
    period: str | None = None,
    organisation_id: int | None = None,
) -> Scope:
    return Scope(
        public=public,
        programme=programme,
        project=project,
        field=field,
        category=category,
        period=period,
        organisation_id=organisation_id,
    )


class ScopeFilters(TypedDict, total=False):
    """The narrowing a caller's scope takes: `projects_in_scope`'s, the organisation aside."""

    programme: Programme | None
    project: str | None
    field: str | None
    category: str | None
    period: str | None


def scope_for(caller: Caller, **filters: Unpack[ScopeFilters]) -> Scope:
    """The projects a caller's figures cover, narrowed by `filters` (those of
    `projects_in_scope`): every project for staff who may view entries; published ones and its
    own organisation's for a partner key; published ones for everyone else."""
    if caller.has_perm("funding.view_ledgerentry"):
        return projects_in_scope(public=False, **filters)
    if caller.key is not None:
        return projects_in_scope(public=False, organisation_id=caller.organisation_id, **filters)
    return projects_in_scope(public=True, **filters)


Projects = Scope | QuerySet[Project]


def _projects(scope: Projects) -> QuerySet[Project]:
    return scope.projects() if isinstance(scope, Scope) else scope


def _from_rollups(scope: Projects) -> TypeGuard[Scope]:
    return isinstance(scope, Scope) and scope.whole_groups


TOTALS = ("committed", "arrived", "disbursed", "spent", "pending")


def totals(scope: Projects) -> FundingFigures:
    """Planned, committed, arrived, disbursed, spent and awaiting approval, over the scope."""
    if _from_rollups(scope):
        sums = scope.rollups(FundingRollup).aggregate(
            **{name: Coalesce(Sum(name), MONEY_ZERO) for name in ("planned", *TOTALS)}
        )
        return FundingFigures(**sums)
    projects = _projects(scope)
    planned = projects.aggregate(total=Coalesce(Sum("planned_investment"), MONEY_ZERO))["total"]
    sums = ProjectFunding.objects.filter(project__in=projects.values("pk")).aggregate(
        **{name: Coalesce(Sum(name), MONEY_ZERO) for name in TOTALS}
    )
    return FundingFigures(planned=planned, **sums)


def by_year(scope: Projects, year: int | None = None) -> list[YearFigures]:
    """Per calendar year: due, arrived, disbursed, spent and the payment rate."""
    if _from_rollups(scope):
        rows = scope.rollups(FundingRollupYear)
        if year is not None:
            rows = rows.filter(year=year)
        return [
            YearFigures(**row)
            for row in rows.order_by("year")
            .values("year")
            .annotate(
                present=Sum("present"),
                due=Sum("due"),
                arrived=Sum("arrived"),
                disbursed=Sum("disbursed"),
                spent=Sum("spent"),
            )
            .filter(present__gt=0)
            .values("year", "due", "arrived", "disbursed", "spent")
        ]
    projects = _projects(scope)
    owned = Q(project__in=projects.values("pk"))
    due_lines = rollups.due_lines(owned)
    years = ProjectFundingYear.objects.filter(owned)
    if year is not None:
        due_lines = due_lines.filter(year=year)
        years = years.filter(year=year)
    due = {
        row["year"]: row["total"]
        for row in due_lines.order_by().values("year").annotate(total=Sum("amount"))
    }
    moved: dict[int, Mapping[str, Any]] = {
        row["year"]: row
        for row in years.order_by()
        .values("year")
        .annotate(arrived=Sum("arrived"), disbursed=Sum("disbursed"), spent=Sum("spent"))
    }
    return [
        YearFigures(
            year=y,
            due=due.get(y, ZERO),
            arrived=moved.get(y, {}).get("arrived") or ZERO,
            disbursed=moved.get(y, {}).get("disbursed") or ZERO,
            spent=moved.get(y, {}).get("spent") or ZERO,
        )
        for y in sorted(set(due) | set(moved))
    ]


def ledger_as_of(scope: Projects) -> datetime.date:
    """The date of the latest ledger entry in the scope (today when there is none): the
    records run to it, so a later year is not yet due. Read backwards along the entries' date
    index, stopping at the first entry in the scope, rather than as a MAX over all of them."""
    latest = (
        LedgerEntry.objects.filter(project__in=_projects(scope).values("pk"))
        .order_by("-date", "-id")
        .values_list("date", flat=True)
        .first()
    )
    return latest or timezone.localdate()


def year_rows(scope: Projects) -> list[YearFigures]:
    """`by_year` as the pages show it: a year after the ledger's latest entry is marked not yet
    due, so that it reads "not yet due" instead of a payment rate of 0%."""
    as_of = ledger_as_of(scope)
    return [replace(row, not_yet_due=row.year > as_of.year) for row in by_year(scope)]


def spending_recorded(rows: list[YearFigures]) -> bool:
    return any(row.spent for row in rows)


ROLLUP_COLUMNS = {"field": "field", "category": "category", "plan_period__code": "plan_period_key"}


def _group_from_rollups(scope: Scope, column: str) -> list[tuple[str | None, FundingFigures]]:
    rows = (
        scope.rollups(FundingRollup)
        .order_by()
        .values(ROLLUP_COLUMNS[column])
        .annotate(n=Sum("projects"), **{name: Sum(name) for name in ("planned", *TOTALS)})
        .filter(n__gt=0)
    )
    groups: dict[str | None, dict[str, Decimal]] = {}
    periods = dict(PlanPeriod.objects.values_list("pk", "code")) if column != "field" else {}
    for row in rows:
        key = row[ROLLUP_COLUMNS[column]]
        if column == "plan_period__code":
            key = periods.get(key)
        sums = groups.setdefault(key, dict.fromkeys(("planned", *TOTALS), ZERO))
        for name in sums:
            sums[name] += row[name]
    return [
        (key, FundingFigures(**groups[key]))
        for key in sorted(groups, key=lambda k: (k is None, str(k)))
    ]


def by_group(scope: Projects, column: str) -> list[tuple[str | None, FundingFigures]]:
    """Totals per value of a project column (field, category, plan_period__code, code)."""
    if _from_rollups(scope) and column in ROLLUP_COLUMNS:
        return _group_from_rollups(scope, column)
    projects = _projects(scope)
    planned = {
        row[column]: row["total"]
        for row in projects.order_by().values(column).annotate(total=Sum("planned_investment"))
    }
    moved = {
        row[f"project__{column}"]: row
        for row in ProjectFunding.objects.filter(project__in=projects.values("pk"))
        .order_by()
        .values(f"project__{column}")
        .annotate(**{name: Sum(name) for name in TOTALS})
    }
    result = []
    for key in sorted(planned, key=lambda k: (k is None, str(k))):
        row = moved.get(key, {})
        result.append(
            (
                key,
                FundingFigures(
                    planned=planned[key] or ZERO,
                    **{name: row.get(name) or ZERO for name in TOTALS},
                ),
            )
        )
    return result


def project_totals(project: Project) -> FundingFigures:
    row = ProjectFunding.objects.filter(project=project).first()
    return FundingFigures(
        planned=project.planned_investment,
        committed=row.committed if row else ZERO,
        arrived=row.arrived if row else ZERO,
        disbursed=row.disbursed if row else ZERO,
        spent=row.spent if row else ZERO,
        pending=row.pending if row else ZERO,
    )


# The running totals' counting rule: an entry counts unless it awaits approval; a reversal counts
# (negatively) when its original did.
COUNTED = (
    Q(reverses__isnull=True, needs_approval=False)
    | Q(reverses__isnull=True, approval__isnull=False)
    | Q(reverses__isnull=False, reverses__needs_approval=False)
    | Q(reverses__isnull=False, reverses__approval__isnull=False)
)


def standing_entries(projects: QuerySet[Project]) -> QuerySet[LedgerEntry]:
    """The projects' entries that count and stand, oldest first, with their two organisations:
    what the running totals hold, entry by entry. A reversal cancels the whole of its original,
    so neither the reversed entry nor its reversal is among them; an entry awaiting approval is
    not either."""
    return (
        LedgerEntry.objects.filter(COUNTED, project__in=projects.values("pk"))
        .filter(reverses__isnull=True, reversed_by__isnull=True)
        .select_related("provider", "receiver")
        .order_by("date", "id")
    )


def budget_lines(projects: QuerySet[Project]) -> QuerySet[BudgetLine]:
    """The projects' budget lines, original and revised, by year."""
    return BudgetLine.objects.filter(project__in=projects.values("pk")).order_by(
        "project", "year", "kind"
    )


def entries(
    *, public: bool, see_all_notes: bool = False, organisation_id: int | None = None
) -> QuerySet[LedgerEntry]:
    """Ledger entries with what a list row shows; the public sees published projects' only.

    `shown_note` is the note this reader may see: a note posted with a partner's key is shown
    to finance staff (`see_all_notes`) and to that partner's organisation, and to everyone else
    only once staff have published it (`NotePublication`); otherwise it is blank."""
    # `reverses` is not joined: a row shows only the id of the entry it reverses.
    queryset = LedgerEntry.objects.select_related("project", "provider", "receiver", "approval")
    if public:
        queryset = queryset.filter(project__published=True)
    if see_all_notes:
        return queryset.annotate(shown_note=F("note"))
    visible = Q(recorded_by_key__isnull=True) | Q(
        Exists(NotePublication.objects.filter(entry=OuterRef("pk")))
    )
    if organisation_id is not None:
        own_keys = ApiKey.objects.filter(organisation_id=organisation_id).values("pk")
        visible |= Q(recorded_by_key__in=own_keys)
    return queryset.annotate(shown_note=Case(When(visible, then=F("note")), default=Value("")))


def entries_visible_to(caller: Caller) -> QuerySet[LedgerEntry]:
    """The entries a caller may read, each with the note it may see: all for staff who may view
    entries; a partner key those of published projects and of the projects its organisation
    takes part in; everyone else published projects'."""
    if caller.has_perm("funding.view_ledgerentry"):
        return entries(public=False, see_all_notes=True)
    if caller.key is not None:
        known = projects_known_to(caller)
        return entries(public=False, organisation_id=caller.organisation_id).filter(
            project__in=known.values("pk")
        )
    return entries(public=True)


def entries_noted_for(caller: Caller) -> QuerySet[LedgerEntry]:
    """Every entry, each with the note this caller may see: the answer to its own posting."""
    return entries(
        public=False,
        see_all_notes=caller.has_perm("funding.view_ledgerentry"),
        organisation_id=caller.organisation_id,
    )


def donations_visible_to(caller: Caller) -> QuerySet[Donation]:
    """All donations for staff who may view them; published ones for everyone else."""
    return donations(public=not caller.has_perm("funding.view_donation"))


def entries_with_flags(queryset: QuerySet[LedgerEntry]) -> QuerySet[LedgerEntry]:
    """`queryset` with what the admin flags beside each entry: `reversal_pk`, the entry that
    reverses it; `approver`, the username of the one who approved it; `note_is_public`.

    Each is a subquery on the entry's key rather than a join: joined, the four tables make the
    list's query an eight-table join whose every order PostgreSQL weighs before reading a row
    (~40 ms of planning for a page of a million-row ledger; under 1 ms this way)."""
    username = f"approved_by__{get_user_model().USERNAME_FIELD}"
    return queryset.annotate(
        reversal_pk=Subquery(LedgerEntry.objects.filter(reverses=OuterRef("pk")).values("pk")),
        approver=Subquery(Approval.objects.filter(entry=OuterRef("pk")).values(username)),
        note_is_public=Exists(NotePublication.objects.filter(entry=OuterRef("pk"))),
    )


def entry_totals(queryset: QuerySet[LedgerEntry]) -> dict[str, Decimal]:
    """Arrived, disbursed, spent and awaiting approval over `queryset`, net of reversals.

    Counted as the running totals count them: a reversal subtracts what its original added, and
    a disbursement awaiting approval is only reserved (`pending`) until it is approved."""
    signed = Case(
        When(reverses__isnull=False, then=-F("amount")),
        default=F("amount"),
        output_field=MoneyField(),
    )
    moved = {
        "arrived": LedgerEntry.Type.INCOMING_FUNDS,
        "disbursed": LedgerEntry.Type.DISBURSEMENT,
        "spent": LedgerEntry.Type.EXPENDITURE,
    }
    sums = {
        name: Coalesce(Sum(signed, filter=COUNTED & Q(type=type)), MONEY_ZERO)
        for name, type in moved.items()
    }
    sums["pending"] = Coalesce(
        Sum(signed, filter=~COUNTED & Q(type=LedgerEntry.Type.DISBURSEMENT)), MONEY_ZERO
    )
    return queryset.order_by().aggregate(**sums)


def budget_totals(queryset: QuerySet[BudgetLine]) -> dict[str, Decimal]:
    """The original and the revised budget lines of `queryset`, each summed."""
    return queryset.order_by().aggregate(
        original=Coalesce(Sum("amount", filter=Q(kind=BudgetLine.Kind.ORIGINAL)), MONEY_ZERO),
        revised=Coalesce(Sum("amount", filter=Q(kind=BudgetLine.Kind.REVISED)), MONEY_ZERO),
    )


def donations(*, public: bool) -> QuerySet[Donation]:
    queryset = Donation.objects.select_related("programme", "donor", "recipient", "project")
    if public:
        queryset = queryset.filter(published=True).filter(
            Q(project__isnull=True) | Q(project__published=True)
        )
    return queryset


def donation_totals(queryset: QuerySet[Donation]) -> dict[str, Decimal]:
    """Money, goods and all donations, and how much of it went to students."""
    return queryset.aggregate(
        total=Coalesce(Sum("value"), MONEY_ZERO),
        money=Coalesce(Sum("value", filter=Q(kind=Donation.Kind.MONEY)), MONEY_ZERO),
        goods=Coalesce(Sum("value", filter=Q(kind=Donation.Kind.GOODS)), MONEY_ZERO),
        goods_for_students=Coalesce(
            Sum("value", filter=Q(kind=Donation.Kind.GOODS, beneficiaries="students")), MONEY_ZERO
        ),
    )


def illustrative_years(scope: Projects) -> set[int]:
    """The years whose figures rest on illustrative entries or budget lines, so that pages mark
    exactly those. Empty when nothing in the scope is illustrative."""
    if _from_rollups(scope):
        return set(
            scope.rollups(FundingRollupYear)
            .order_by()
            .values("year")
            .annotate(n=Sum("illustrative"))
            .filter(n__gt=0)
            .values_list("year", flat=True)
        )
    return {year for _pk, year in _illustrative_pairs(_projects(scope))}


def project_rows(scope: Projects) -> QuerySet[Project, dict[str, Any]]:
    """One row per project of the scope, by code, with its running totals and whether any of its
    entries or budget lines is illustrative: plain values, for a download to read a chunk at a
    time (`.iterator(chunk_size)`), never a model object per project. The figures are
    `by_group(scope, "code")`'s, read from the same totals rows."""
    illustrative_entries = LedgerEntry.objects.filter(project=OuterRef("pk"), illustrative=True)
    illustrative_lines = BudgetLine.objects.filter(project=OuterRef("pk"), illustrative=True)
    rows: QuerySet[Project, dict[str, Any]] = (
        _projects(scope)
        .order_by("code")
        .annotate(
            illustrative_records=Exists(illustrative_entries) | Exists(illustrative_lines),
            **{f"total_{name}": F(f"funding__{name}") for name in TOTALS},
        )
        .values(
            "code",
            "field",
            "category",
            "plan_period_id",
            "planned_investment",
            "illustrative_fields",
            "illustrative_records",
            *[f"total_{name}" for name in TOTALS],
            *TITLE_COLUMNS,
        )
    )
    return rows


TITLE_COLUMNS = tuple(build_localized_fieldname("title", code) for code in LANGUAGE_CODES)


def without_jit() -> None:
    """Leave PostgreSQL's JIT compiler off for the rest of the transaction: for a query over
    every project whose estimated cost crosses `jit_above_cost`, compiling takes longer than
    running it (0.7 s of 1.7 s for `project_rows` at 100,000 projects)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def title_reader() -> Callable[[Mapping[str, Any]], str]:
    """What reads a `project_rows` row's title in the active language, falling back to the
    other language as `Project.title` does on a model object (django-modeltranslation's
    descriptor: the first language in its fallback order whose value is neither None nor the
    field's default). The order is worked out once, not per row."""
    descriptor = vars(Project)["title"]
    default = descriptor.field.get_default()
    undefined = descriptor.fallback_undefined
    if undefined is NONE:
        undefined = default
    order = resolution_order(get_language(), descriptor.fallback_languages)
    columns = [build_localized_fieldname("title", language) for language in order]

    def read(row: Mapping[str, Any]) -> str:
        for column in columns:
            value = row[column]
            if value is not None and value != undefined:
                return str(value)
        return str(default)

    return read


def _illustrative_pairs(projects: QuerySet[Project]) -> list[tuple[int, int]]:
    entries = (
        LedgerEntry.objects.filter(project__in=projects.values("pk"), illustrative=True)
        .order_by()
        .values_list("project_id", "date__year")
        .distinct()
    )
    lines = (
        BudgetLine.objects.filter(project__in=projects.values("pk"), illustrative=True)
        .order_by()
        .values_list("project_id", "year")
        .distinct()
    )
    return [*entries, *lines]


def public_entries() -> QuerySet[LedgerEntry]:
    """The entries the public figures count, with the notes the public may read: a published
    project's entries that need no approval or have it, and the reversals of those. An entry
    awaiting approval, and its reversal, count nowhere public."""
    counted = Q(needs_approval=False) | Q(approval__isnull=False)
    original_counted = Q(reverses__needs_approval=False) | Q(reverses__approval__isnull=False)
    return (
        entries(public=True)
        .filter(
            (Q(reverses__isnull=True) & counted) | (Q(reverses__isnull=False) & original_counted)
        )
        .order_by("date", "id")
    )


def public_budget_lines() -> QuerySet[BudgetLine]:
    """Published projects' budget lines; `due` marks the line a year's payment rate divides by
    (the revised line where there is one, else the original)."""
    in_force = rollups.due_lines(Q(project__published=True)).filter(pk=OuterRef("pk"))
    return (
        BudgetLine.objects.filter(project__published=True)
        .annotate(due=Exists(in_force))
        .order_by("project__code", "year", "kind")
    )


# The staff desk's queues: what waits for a caller who may act on it, oldest first; None for a
# caller who may not.


def entries_awaiting_approval(caller: Caller) -> QuerySet[LedgerEntry] | None:
    """Large arrivals and disbursements still waiting for a second person, for a caller who may
    approve them: never the ones they recorded themselves, which someone else must approve."""
    if caller.user is None or not caller.has_perm("funding.approve_disbursement"):
        return None
    return (
        LedgerEntry.objects.filter(
            needs_approval=True, approval__isnull=True, reversed_by__isnull=True
        )
        .exclude(recorded_by=caller.user)
        .select_related("project")
        .order_by("recorded_at", "id")
    )


def notes_awaiting_publication(caller: Caller) -> QuerySet[LedgerEntry] | None:
    """Partners' notes on entries, posted with a key and not yet published, for a caller who may
    publish them."""
    if not caller.has_perm("funding.publish_entry_note"):
        return None
    return (
        LedgerEntry.objects.filter(recorded_by_key__isnull=False, note_publication__isnull=True)
        .exclude(note="")
        .select_related("project")
        .order_by("recorded_at", "id")
    )


def uncovered_beyond_arrivals(caller: Caller) -> QuerySet[LedgerEntry] | None:
    """Disbursements recorded beyond the funds arrived whose project's arrivals still do not
    cover what it disbursed and reserved, for a caller who may record the arrival (or the
    reversal) that settles them. Once arrivals catch up they leave the queue."""
    if not caller.has_perm("funding.add_ledgerentry"):
        return None
    funding = "project__funding__"
    return (
        LedgerEntry.objects.filter(beyond_arrivals=True, reversed_by__isnull=True)
        .alias(short=F(f"{funding}disbursed") + F(f"{funding}pending") - F(f"{funding}arrived"))
        .filter(short__gt=0)
        .select_related("project")
        .order_by("date", "id")
    )


# Who reads the runs of check_ledger and their alerts: finance staff who may correct the ledger.
LEDGER_CHECK_READERS = ("funding.view_ledgercheck", "funding.add_ledgerentry")


def failed_ledger_checks(caller: Caller) -> QuerySet[LedgerCheck] | None:
    """Runs of `check_ledger` that failed since the last one that passed, for finance staff who
    read the runs and record the entries that correct the ledger."""
    if not all(caller.has_perm(permission) for permission in LEDGER_CHECK_READERS):
        return None
    last_passed = LedgerCheck.objects.filter(passed=True).order_by("-ran_at").values("ran_at")[:1]
    return (
        LedgerCheck.objects.filter(passed=False)
        .alias(last_passed=Subquery(last_passed))
        .filter(Q(last_passed__isnull=True) | Q(ran_at__gt=F("last_passed")))
        .order_by("ran_at", "id")
    )


# The policy figures every annual report quotes: the grassroots share (县及县以下) and the
# livelihood share (民生). Read from the same rollups as every other figure, by place level and
# field; a scope narrowed to one project or one organisation's projects is computed the same way
# from the per-project totals (`rollups.contributions`).

# Every level of the place hierarchy is a county (district) or below it.
GRASSROOTS_PLACE_LEVELS = frozenset(Place.Level.values)


def is_grassroots(partner_level: str, place_level: str) -> bool:
    """A project is at county level or below when its programme's partner is a county (all its
    projects are), or when it is located at a place of the hierarchy."""
    return partner_level == Programme.PartnerLevel.COUNTY or place_level in GRASSROOTS_PLACE_LEVELS


@dataclass(frozen=True)
class Share:
    """A part of a total, such as the grassroots part of the planned investment."""

    part: Decimal
    total: Decimal

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.part, self.total)


@dataclass(frozen=True)
class SharesRow:
    """One plan period's (planned investment and disbursed to date) or one year's (due and
    disbursed in the year) grassroots and livelihood shares. `key` is the plan period's code
    (None for projects outside any period) or the year."""

    key: str | int | None
    grassroots_planned: Share
    grassroots_disbursed: Share
    livelihood_planned: Share
    livelihood_disbursed: Share


# What the two policy figures count, in the reader's language (the pages and the API).
GRASSROOTS_DEFINITION = gettext_lazy(
    "Funds for projects located at county level or below (a county or district, its "
    "townships and villages) ÷ all funds. Where the partner is a prefecture or a province, a "
    "project counts only when it is located at a district, township or village."
)
LIVELIHOOD_DEFINITION = gettext_lazy("Funds for projects in the livelihood field ÷ all funds.")


@dataclass(frozen=True)
class PolicyShares:
    """The grassroots and livelihood shares (see the definitions below, which the pages and the
    API both show)."""

    overall: SharesRow
    by_period: list[SharesRow]
    by_year: list[SharesRow]
    # The share each is expected to reach, 0–1; None when the scope's programmes differ on it.
    expected: Decimal | None
    # Every project in the scope is at county level or below by where it is, so the grassroots
    # share is 100% by definition and says nothing about choices made.
    all_grassroots: bool

    grassroots_definition = GRASSROOTS_DEFINITION
    livelihood_definition = LIVELIHOOD_DEFINITION


def _shares_row(key: str | int | None, rows: list[dict[str, Any]], planned: str) -> SharesRow:
    def share(where: str, amount: str) -> Share:
        return Share(
            part=sum((row[amount] for row in rows if row[where]), ZERO),
            total=sum((row[amount] for row in rows), ZERO),
        )

    return SharesRow(
        key=key,
        grassroots_planned=share("grassroots", planned),
        grassroots_disbursed=share("grassroots", "disbursed"),
        livelihood_planned=share("livelihood", planned),
        livelihood_disbursed=share("livelihood", "disbursed"),
    )


PROGRAMME_POLICY = {
    "partner_level": F("programme__partner_level"),
    "expected": F("programme__expected_share"),
}


def policy_shares(scope: Projects, year: int | None = None) -> PolicyShares:
    """The grassroots and livelihood shares of the planned investment and of the funds disbursed,
    over the scope, per plan period, and per year (of what was due and disbursed that year).
    Over whole groups, two queries on the rollups."""
    if _from_rollups(scope):
        period_code = PlanPeriod.objects.filter(pk=OuterRef("plan_period_key")).values("code")
        base = list(
            scope.rollups(FundingRollup)
            .order_by()
            .values("field", "plan_period_key", "place_level", **PROGRAMME_POLICY)
            .annotate(
                period=Subquery(period_code),
                n=Sum("projects"),
                planned=Sum("planned"),
                disbursed=Sum("disbursed"),
            )
            .filter(n__gt=0)
        )
        year_rows = scope.rollups(FundingRollupYear)
        if year is not None:
            year_rows = year_rows.filter(year=year)
        years = list(
            year_rows.order_by()
            .values("field", "place_level", "year", **PROGRAMME_POLICY)
            .annotate(n=Sum("present"), due=Sum("due"), disbursed=Sum("disbursed"))
            .filter(n__gt=0)
        )
    else:
        base, years = _policy_rows(_projects(scope), year)
    for row in [*base, *years]:
        row["grassroots"] = is_grassroots(row["partner_level"], row["place_level"])
        row["livelihood"] = row["field"] == Project.Field.LIVELIHOOD
    by_period: dict[str | None, list[dict[str, Any]]] = {}
    for row in base:
        by_period.setdefault(row["period"], []).append(row)
    by_year: dict[int, list[dict[str, Any]]] = {}
    for row in years:
        by_year.setdefault(row["year"], []).append(row)
    expected = {row["expected"] for row in [*base, *years]}
    return PolicyShares(
        overall=_shares_row(None, base, "planned"),
        by_period=[
            _shares_row(key, by_period[key], "planned")
            for key in sorted(by_period, key=lambda k: (k is None, str(k)))
        ],
        by_year=[_shares_row(key, by_year[key], "due") for key in sorted(by_year)],
        expected=expected.pop() / 100 if len(expected) == 1 else None,
        all_grassroots=bool(base) and all(row["grassroots"] for row in base),
    )


def _policy_rows(
    projects: QuerySet[Project], year: int | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows `policy_shares` reads, computed from the per-project totals of `projects` as the
    rollups are (`rollups.contributions`)."""
    found, found_years = rollups.contributions(Q(pk__in=projects.values("pk")))
    programmes = {
        row["pk"]: {"partner_level": row["partner_level"], "expected": row["expected_share"]}
        for row in Programme.objects.filter(pk__in={key[0] for key in found}).values(
            "pk", "partner_level", "expected_share"
        )
    }
    periods = dict(PlanPeriod.objects.filter(programme__in=programmes).values_list("pk", "code"))
    base = [
        {
            **programmes[int(key[0])],
            "field": key[2],
            "period": periods.get(int(key[4])),
            "place_level": key[5],
            **sums,
        }
        for key, sums in found.items()
        if sums["projects"]
    ]
    years = [
        {**programmes[int(key[0])], "field": key[2], "place_level": key[5], "year": key[6], **sums}
        for key, sums in found_years.items()
        if sums["present"] and (year is None or key[6] == year)
    ]
    return base, years
