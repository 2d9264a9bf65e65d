"""The project counts the home page reads: kept by the database with every write to projects,
bulk ones included, equal to what the projects say; the runtime role cannot write them, and
`check_ledger` reports any disagreement."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction
from django.db.models import Count, Q, Sum
from django.test.utils import CaptureQueriesContext

from projects import rollups, selectors
from projects.models import Project, ProjectRollup
from tests.conftest import owner_connection
from tests.factories import ProgrammeFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def stored() -> dict:
    return {
        tuple(row[name] for name in rollups.GROUP): {
            "projects": row["projects"],
            "planned_investment": row["planned_investment"],
        }
        for row in ProjectRollup.objects.values(*rollups.GROUP, *rollups.SUMS)
    }


def figures_from_the_projects(programme) -> dict:
    """The home page's figures as a scan of the published projects gives them."""
    projects = Project.objects.filter(programme=programme, published=True)
    totals = projects.aggregate(
        count=Count("pk"),
        investment=Sum("planned_investment"),
        flagship=Count("pk", Q(flagship=True)),
    )

    def by(column):
        return {
            row[column]: (row["n"], row["total"])
            for row in projects.order_by()
            .values(column)
            .annotate(n=Count("pk"), total=Sum("planned_investment"))
        }

    return {
        "count": totals["count"],
        "investment": totals["investment"] or Decimal("0"),
        "flagship": totals["flagship"],
        "field": by("field"),
        "status": by("status"),
        "category": by("category"),
    }


def shown(programme) -> dict:
    figures = selectors.programme_figures(programme)
    return {
        "count": figures.project_count,
        "investment": figures.planned_investment,
        "flagship": figures.flagship_count,
        "field": {row.key: (row.count, row.investment) for row in figures.by_field},
        "status": {row.key: (row.count, row.investment) for row in figures.by_status},
        "category": {row.key: (row.count, row.investment) for row in figures.by_category},
    }


@pytest.fixture
def programme():
    return ProgrammeFactory(code="rollup-test")


def test_creating_changing_and_deleting_projects_keeps_the_counts(programme):
    first = ProjectFactory(programme=programme, planned_investment=Decimal("100.50"))
    second = ProjectFactory(
        programme=programme, planned_investment=Decimal("20"), flagship=True, published=True
    )
    ProjectFactory(programme=programme, published=False, planned_investment=Decimal("7"))
    assert stored() == rollups.expected()

    first.status = Project.Status.CLOSED
    first.published = True
    first.planned_investment = Decimal("99.25")
    first.save()
    second.field = Project.Field.choices[-1][0]
    second.save()
    assert stored() == rollups.expected()
    assert shown(programme) == figures_from_the_projects(programme)

    second.delete()

    assert stored() == rollups.expected()
    assert shown(programme) == figures_from_the_projects(programme)
    assert rollups.differences() == []


def test_a_bulk_update_and_raw_sql_keep_the_counts(programme):
    for index in range(6):
        ProjectFactory(programme=programme, published=index % 2 == 0)

    Project.objects.filter(programme=programme).update(status=Project.Status.CLOSED, published=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE projects_project SET planned_investment = planned_investment + 1, "
            "flagship = TRUE WHERE programme_id = %s",
            [programme.pk],
        )

    assert stored() == rollups.expected()
    figures = shown(programme)
    assert figures == figures_from_the_projects(programme)
    assert figures["count"] == figures["flagship"] == 6
    assert figures["status"] == {
        Project.Status.CLOSED: (6, figures_from_the_projects(programme)["investment"])
    }


def test_a_programme_without_projects_has_no_counts_and_shows_zero(programme):
    project = ProjectFactory(programme=programme, published=True)
    project.delete()

    assert not ProjectRollup.objects.filter(programme=programme).exists()
    figures = selectors.programme_figures(programme)
    assert (figures.project_count, figures.planned_investment, figures.by_field) == (
        0,
        Decimal("0"),
        [],
    )


def test_the_runtime_role_cannot_write_the_counts(programme):
    ProjectFactory(programme=programme, published=True)
    group = ProjectRollup.objects.get(programme=programme)

    for write in (
        lambda: ProjectRollup.objects.filter(pk=group.pk).update(projects=1000),
        lambda: ProjectRollup.objects.filter(pk=group.pk).delete(),
        lambda: ProjectRollup.objects.create(
            programme=programme,
            published=False,
            field="x",
            category="x",
            status="x",
            flagship=False,
            projects=1,
        ),
    ):
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            write()
    assert stored() == rollups.expected()


def test_the_home_page_reads_as_many_queries_for_30_projects_as_for_3(client, programme, settings):
    settings.DEFAULT_PROGRAMME = programme.code

    def home_queries(count: int) -> list[str]:
        while Project.objects.filter(programme=programme).count() < count:
            ProjectFactory(programme=programme, published=True)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.status_code == 200
        assert shown(programme)["count"] == count
        return [query["sql"] for query in queries.captured_queries]

    few, many = home_queries(3), home_queries(30)

    assert len(few) == len(many)


@pytest.mark.django_db(transaction=True)
def test_check_ledger_reports_counts_that_disagree_with_the_projects(programme):
    ProjectFactory(programme=programme, published=True, planned_investment=Decimal("10"))
    call_command("check_ledger")
    owner = owner_connection(connection.settings_dict["NAME"])
    try:
        with owner, owner.cursor() as cursor:
            cursor.execute("UPDATE projects_projectrollup SET projects = projects + 1")
    finally:
        owner.close()

    with pytest.raises(CommandError, match="totals disagree"):
        call_command("check_ledger")
    assert any(
        line.startswith("project counts") and "projects: stored 2, projects 1" in line
        for line in rollups.differences()
    )


def test_the_project_list_counts_what_is_published_with_or_without_a_filter(client, programme):
    for index in range(23):
        ProjectFactory(programme=programme, published=index != 0)
    ProjectFactory(programme=ProgrammeFactory(), published=True)
    Project.objects.filter(programme=programme, published=True).exclude(
        pk=Project.objects.filter(programme=programme, published=True).order_by("pk")[0].pk
    ).update(status=Project.Status.CLOSED)

    def count(**query) -> str:
        page = client.get("/projects/", query).content.decode()
        return page.split('data-count="', 1)[1].split('"', 1)[0]

    assert count() == count(page=2) == "23"
    assert count(status=Project.Status.CLOSED) == "21"
    assert client.get("/projects/", {"page": 2}).content.decode().count("<tr data-code=") == 3
