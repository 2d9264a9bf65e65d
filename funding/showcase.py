"""What funding registers with the showcase: the timestamps behind its public figures (数据截至),
and its figures on the home page and on each project's page (projects.views asks for them)."""

from funding import selectors
from projects.models import Project
from reference.models import Programme

# Ledger entries, approvals and note publications are append-only: when they were recorded is
# when what the public reads changed (a published partner's note shows in the ledger download).
CHANGE_SOURCES = (
    ("funding.LedgerEntry", "recorded_at"),
    ("funding.Approval", "approved_at"),
    ("funding.NotePublication", "published_at"),
)

# What a project's page shows only on its own project's page (projects.selectors.PROJECT_OWNED).
PROJECT_OWNED = ("funding.LedgerEntry", "funding.BudgetLine")


def home_figures(*, programme: Programme | None) -> dict:
    """The programme's funding totals, per year, and whether any of them is illustrative, and
    its grassroots and livelihood shares."""
    scope = selectors.projects_in_scope(public=True, programme=programme)
    return {
        "funding": selectors.totals(scope),
        "funding_years": selectors.year_rows(scope),
        "funding_illustrative": bool(selectors.illustrative_years(scope)),
        "policy_shares": selectors.policy_shares(scope),
    }


def project_figures(*, project: Project) -> dict:
    """One project's funding totals, and whether any of its years is illustrative."""
    illustrative = selectors.illustrative_years(Project.objects.filter(pk=project.pk))
    return {
        "funding": selectors.project_totals(project),
        "funding_illustrative": bool(illustrative),
    }
