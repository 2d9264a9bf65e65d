"""What the open-data files read: the public records, fetched whole for a file at a time.

Everything starts from the domain apps' public selectors, so a file shows what the pages show
and nothing unpublished; the queries are a fixed number however many projects there are.
"""

from decimal import Decimal

from django.db.models import DateTimeField, Max, Model, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from funding import selectors as funding
from funding.models import Approval, BudgetLine, LedgerEntry
from projects.models import Indicator, Milestone, Participant, Project
from projects.selectors import published_projects
from reference.models import Organisation, Programme
from reference.selectors import default_programme


def _newest(model: type[Model], column: str, path: str = "project") -> Subquery:
    """The newest `column` of `model`'s rows that belong to the outer project."""
    rows = (
        model._default_manager.filter(**{f"{path}_id": OuterRef("pk")})
        .order_by()
        .values(f"{path}_id")
        .annotate(newest=Max(column))
        .values("newest")
    )
    return Subquery(rows, output_field=DateTimeField())


def last_changed() -> Greatest:
    """When a project or anything its IATI activity reports last changed: the project, the
    change histories of its participants, milestones, indicators and budget lines (deletions
    included), and its ledger entries and their approvals."""
    sources = [
        _newest(Participant.history.model, "history_date"),  # type: ignore[attr-defined]  # simple-history
        _newest(Milestone.history.model, "history_date"),  # type: ignore[attr-defined]  # simple-history
        _newest(Indicator.history.model, "history_date"),  # type: ignore[attr-defined]  # simple-history
        _newest(BudgetLine.history.model, "history_date"),  # type: ignore[attr-defined]  # simple-history
        _newest(LedgerEntry, "recorded_at"),
        _newest(Approval, "approved_at", path="entry__project"),
    ]
    # SQLite's GREATEST (make run's default database) is NULL when any argument is.
    return Greatest("updated_at", *(Coalesce(source, "updated_at") for source in sources))


def iati_projects(projects: QuerySet[Project]) -> list[Project]:
    """The published projects among `projects` with everything their IATI activity reports:
    participants with their organisations, milestones, indicators, budget lines, the ledger
    entries that count and stand (`funding.selectors.standing_entries`), and `last_changed`."""
    public = published_projects().filter(pk__in=projects.values("pk"))
    return list(
        public.select_related("programme__donor")
        .annotate(last_changed=last_changed())
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.select_related("organisation").order_by(
                    "role", "organisation__code"
                ),
            ),
            Prefetch("milestones", queryset=Milestone.objects.order_by("kind", "id")),
            "indicators",
            Prefetch(
                "budget_lines", queryset=funding.budget_lines(public), to_attr="iati_budget_lines"
            ),
            Prefetch(
                "ledger_entries",
                queryset=funding.standing_entries(public),
                to_attr="iati_entries",
            ),
        )
        .order_by("code")
    )


def programme_projects(programme: Programme) -> list[Project]:
    return iati_projects(Project.objects.filter(programme=programme))


def project(code: str) -> list[Project]:
    """The one published project with that code, in a list (empty when there is none)."""
    return iati_projects(Project.objects.filter(code=code))


def reporting_organisation() -> Organisation | None:
    """Who reports the installation's IATI files: the default programme's donor. One
    organisation, as IATI_REPORTING_ORG_REF is one identifier."""
    programme = default_programme()
    return programme.donor if programme else None


def programme(code: str | None) -> Programme | None:
    """The programme with that code, or the default one when no code is given."""
    if not code:
        return default_programme()
    return Programme.objects.filter(code=code).first()


def organisation_budgets(reporter: Organisation) -> list[tuple[int, Decimal]]:
    """What the published projects of the reporter's programmes are due per year (the revised
    budget line where there is one), years with nothing due left out."""
    projects = published_projects().filter(programme__donor=reporter)
    return [(row.year, row.due) for row in funding.by_year(projects) if row.due]
