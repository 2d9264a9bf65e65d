"""Funding figures — one module for pages, admin and API, so they always agree.

Everything is read from the running totals (`ProjectFunding`, `ProjectFundingYear`) and budget
lines, never by scanning the ledger. Rates are exact Decimals; round them once, at display.

- arrival rate = arrived ÷ planned investment
- disbursement rate = disbursed ÷ arrived
- payment rate (兑付率) of a year = disbursed in that year ÷ due that year (the year's budget
  lines, the revised line where there is one). It exceeds 100% when earlier years' backlog is
  paid, as in 2023's 134%.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from funding.models import BudgetLine, Donation, LedgerEntry, ProjectFunding, ProjectFundingYear
from projects.models import Project

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


@dataclass(frozen=True)
class YearFigures:
    year: int
    due: Decimal
    arrived: Decimal
    disbursed: Decimal
    spent: Decimal

    @property
    def payment_rate(self) -> Decimal | None:
        return _rate(self.disbursed, self.due)


def projects_in_scope(
    *,
    public: bool,
    programme=None,
    project: str | None = None,
    field: str | None = None,
    category: str | None = None,
    period: str | None = None,
) -> QuerySet[Project]:
    projects = Project.objects.all()
    if public:
        projects = projects.filter(published=True)
    if programme is not None:
        projects = projects.filter(programme=programme)
    if project:
        projects = projects.filter(code=project)
    if field:
        projects = projects.filter(field=field)
    if category:
        projects = projects.filter(category=category)
    if period:
        projects = projects.filter(plan_period__code=period)
    return projects


def totals(projects: QuerySet[Project]) -> FundingFigures:
    """Planned, committed, arrived, disbursed, spent and awaiting approval, over `projects`."""
    planned = projects.aggregate(total=Coalesce(Sum("planned_investment"), MONEY_ZERO))["total"]
    sums = ProjectFunding.objects.filter(project__in=projects.values("pk")).aggregate(
        **{
            name: Coalesce(Sum(name), MONEY_ZERO)
            for name in ("committed", "arrived", "disbursed", "spent", "pending")
        }
    )
    return FundingFigures(planned=planned, **sums)


def _due_lines(projects: QuerySet[Project]) -> QuerySet[BudgetLine]:
    """Each project-year's due amount: the revised line where there is one, else the original."""
    revised = BudgetLine.objects.filter(
        project=OuterRef("project"), year=OuterRef("year"), kind=BudgetLine.Kind.REVISED
    )
    return BudgetLine.objects.filter(project__in=projects.values("pk")).filter(
        Q(kind=BudgetLine.Kind.REVISED) | Q(~Exists(revised), kind=BudgetLine.Kind.ORIGINAL)
    )


def by_year(projects: QuerySet[Project], year: int | None = None) -> list[YearFigures]:
    """Per calendar year: due, arrived, disbursed, spent and the payment rate."""
    due_lines = _due_lines(projects)
    years = ProjectFundingYear.objects.filter(project__in=projects.values("pk"))
    if year is not None:
        due_lines = due_lines.filter(year=year)
        years = years.filter(year=year)
    due = {
        row["year"]: row["total"]
        for row in due_lines.order_by().values("year").annotate(total=Sum("amount"))
    }
    moved = {
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


def by_group(projects: QuerySet[Project], column: str) -> list[tuple[str, FundingFigures]]:
    """Totals per value of a project column (field, category, plan_period__code, code)."""
    planned = {
        row[column]: row["total"]
        for row in projects.order_by().values(column).annotate(total=Sum("planned_investment"))
    }
    moved = {
        row[f"project__{column}"]: row
        for row in ProjectFunding.objects.filter(project__in=projects.values("pk"))
        .order_by()
        .values(f"project__{column}")
        .annotate(
            committed=Sum("committed"),
            arrived=Sum("arrived"),
            disbursed=Sum("disbursed"),
            spent=Sum("spent"),
            pending=Sum("pending"),
        )
    }
    result = []
    for key in sorted(planned, key=lambda k: (k is None, str(k))):
        row = moved.get(key, {})
        result.append(
            (
                key,
                FundingFigures(
                    planned=planned[key] or ZERO,
                    committed=row.get("committed") or ZERO,
                    arrived=row.get("arrived") or ZERO,
                    disbursed=row.get("disbursed") or ZERO,
                    spent=row.get("spent") or ZERO,
                    pending=row.get("pending") or ZERO,
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


def entries(*, public: bool) -> QuerySet[LedgerEntry]:
    """Ledger entries with what a list row shows; the public sees published projects' only."""
    # `reverses` is not joined: a row shows only the id of the entry it reverses.
    queryset = LedgerEntry.objects.select_related("project", "provider", "receiver", "approval")
    if public:
        queryset = queryset.filter(project__published=True)
    return queryset


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


def illustrative_parts(projects: QuerySet[Project]) -> tuple[set[int], set[int]]:
    """The years and the project ids whose figures rest on illustrative entries or budget lines,
    so that pages mark exactly those."""
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
    pairs = [*entries, *lines]
    return {year for _pk, year in pairs}, {pk for pk, _year in pairs}
