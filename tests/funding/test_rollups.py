"""The programme rollups the dashboards read: after every kind of change they give exactly what
the per-project totals give, and check_ledger catches them when they do not."""

import datetime
import importlib
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from funding import rollups, selectors, services
from funding.models import BudgetLine, FundingRollup, FundingRollupYear, LedgerEntry
from projects.models import Project
from tests.factories import PlaceFactory, PlanPeriodFactory, ProgrammeFactory, ProjectFactory

ARRIVAL = LedgerEntry.Type.INCOMING_FUNDS
DISBURSEMENT = LedgerEntry.Type.DISBURSEMENT
EXPENDITURE = LedgerEntry.Type.EXPENDITURE
COMMITMENT = LedgerEntry.Type.INCOMING_COMMITMENT


def record(project, type, amount, date=datetime.date(2024, 3, 1), **kwargs):
    return services.record_entry(
        project=project, type=type, date=date, amount=Decimal(amount), **kwargs
    )


def scopes(programme, period):
    """Every kind of whole-group scope a page or the API asks for."""
    yield selectors.projects_in_scope(public=True, programme=programme)
    yield selectors.projects_in_scope(public=False, programme=programme)
    yield selectors.projects_in_scope(public=True)
    yield selectors.projects_in_scope(public=False, programme=programme, field="livelihood")
    yield selectors.projects_in_scope(public=True, programme=programme, category="health")
    yield selectors.projects_in_scope(public=False, period=period.code)


def assert_rollups_agree(programme, period):
    for scope in scopes(programme, period):
        assert scope.whole_groups
        projects = scope.projects()  # the per-project path
        assert selectors.totals(scope) == selectors.totals(projects), scope
        assert selectors.by_year(scope) == selectors.by_year(projects), scope
        for column in ("field", "category", "plan_period__code"):
            assert selectors.by_group(scope, column) == selectors.by_group(projects, column)
        assert selectors.illustrative_years(scope) == selectors.illustrative_years(projects)
    assert rollups.differences() == []


@pytest.fixture
def world():
    programme = ProgrammeFactory()
    period = PlanPeriodFactory(programme=programme)
    other_period = PlanPeriodFactory(
        programme=programme, code="13th", start_year=2016, end_year=2020
    )
    projects = [
        ProjectFactory(
            programme=programme,
            plan_period=period if index % 3 else other_period,
            field=("development", "livelihood", "integration")[index % 3],
            category=("health", "infrastructure")[index % 2],
            published=index != 4,
            planned_investment=Decimal(1_000_000 + index),
        )
        for index in range(6)
    ]
    for project in projects:
        for year in (2023, 2024):
            BudgetLine.objects.create(project=project, year=year, amount=Decimal("300000"))
    return programme, period, other_period, projects


@pytest.mark.django_db
def test_entries_reversals_and_approvals_keep_the_rollups_exact(world, settings):
    programme, period, _other, projects = world
    approver = User.objects.create_user("approver", is_staff=True)
    approver.user_permissions.add(Permission.objects.get(codename="approve_disbursement"))
    approver = User.objects.get(pk=approver.pk)
    for index, project in enumerate(projects):
        record(project, COMMITMENT, "900000")
        record(project, ARRIVAL, "800000.55", date=datetime.date(2023, 5, 1))
        record(project, DISBURSEMENT, f"{100000 + index}.10", illustrative=index == 2)
        record(project, EXPENDITURE, "50000")
    assert_rollups_agree(programme, period)
    settings.FUNDING_APPROVAL_THRESHOLD = 500_000

    large = record(projects[0], DISBURSEMENT, "600000")  # waits for a second pair of eyes
    assert_rollups_agree(programme, period)
    services.approve_disbursement(entry=large, approved_by=approver)
    assert_rollups_agree(programme, period)

    arrival = LedgerEntry.objects.filter(project=projects[1], type=ARRIVAL).get()
    services.reverse_entry(
        entry=LedgerEntry.objects.filter(project=projects[1], type=DISBURSEMENT).get(),
        reason="wrong project",
    )
    services.reverse_entry(entry=arrival, reason="entered twice")
    assert_rollups_agree(programme, period)

    figures = selectors.totals(selectors.projects_in_scope(public=False, programme=programme))
    assert figures.arrived == Decimal("800000.55") * 5
    assert figures.disbursed == sum(Decimal(f"{100000 + i}.10") for i in (0, 2, 3, 4, 5)) + 600000


@pytest.mark.django_db
def test_regrouping_a_project_moves_its_figures(world):
    programme, period, other_period, projects = world
    for project in projects:
        record(project, ARRIVAL, "500000", date=datetime.date(2024, 2, 1))
        record(project, DISBURSEMENT, "200000", date=datetime.date(2024, 3, 1))
    public = selectors.projects_in_scope(public=True, programme=programme)
    before = selectors.totals(public)

    hidden = projects[0]
    hidden.published = False
    hidden.save()
    assert selectors.totals(public).arrived == before.arrived - Decimal("500000")
    assert_rollups_agree(programme, period)

    moved = projects[1]
    moved.field, moved.category, moved.plan_period = "development", "energy", other_period
    moved.planned_investment = Decimal("123.45")
    moved.save()
    assert_rollups_agree(programme, period)

    elsewhere = ProgrammeFactory()
    moved.programme, moved.plan_period = elsewhere, None
    moved.save()
    assert_rollups_agree(programme, period)
    assert selectors.totals(selectors.projects_in_scope(public=False, programme=elsewhere)) == (
        selectors.totals(Project.objects.filter(pk=moved.pk))
    )


@pytest.mark.django_db
def test_budget_lines_and_new_or_deleted_projects_keep_the_rollups_exact(world):
    programme, period, _other, projects = world
    record(projects[0], ARRIVAL, "100")
    revised = BudgetLine.objects.create(
        project=projects[0], year=2024, kind=BudgetLine.Kind.REVISED, amount=Decimal("250000")
    )
    assert_rollups_agree(programme, period)
    revised.amount, revised.illustrative = Decimal("275000"), True
    revised.save()
    assert_rollups_agree(programme, period)
    revised.project = projects[3]  # corrected: the revision was another project's
    revised.save()
    assert_rollups_agree(programme, period)
    BudgetLine.objects.create(project=projects[2], year=2031, amount=Decimal("7"))
    assert_rollups_agree(programme, period)
    revised.delete()
    BudgetLine.objects.filter(project=projects[2], year=2031).get().delete()
    assert_rollups_agree(programme, period)

    extra = ProjectFactory(programme=programme, plan_period=period, published=True)
    assert_rollups_agree(programme, period)
    extra.delete()
    assert_rollups_agree(programme, period)


@pytest.mark.django_db
def test_check_ledger_catches_a_wrong_rollup_and_can_rebuild_them(world, capsys):
    programme, period, _other, projects = world
    record(projects[0], ARRIVAL, "1000")
    call_command("check_ledger")

    # A bulk update bypasses the signals, as a careless script would.
    Project.objects.filter(pk=projects[0].pk).update(published=not projects[0].published)
    with pytest.raises(CommandError, match="disagree"):
        call_command("check_ledger")
    assert "rollup" in capsys.readouterr().err

    call_command("check_ledger", "--rebuild-rollups")
    assert_rollups_agree(programme, period)

    FundingRollup.objects.filter(arrived__gt=0).update(arrived=Decimal("1"))
    with pytest.raises(CommandError):
        call_command("check_ledger")
    assert "arrived: rollup 1.00, totals 1000.00" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_parallel_entries_on_one_group_keep_its_rollup_exact():
    programme = ProgrammeFactory()
    period = PlanPeriodFactory(programme=programme)
    projects = [
        ProjectFactory(programme=programme, plan_period=period, published=True) for _ in range(4)
    ]
    for project in projects:
        record(project, ARRIVAL, "1000")
    attempts = 20
    barrier = threading.Barrier(attempts)
    errors = []

    def disburse(project):
        try:
            barrier.wait(20)
            record(project, DISBURSEMENT, "10.01")
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=disburse, args=(projects[i % 4],)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    figures = selectors.totals(selectors.projects_in_scope(public=True, programme=programme))
    assert figures.disbursed == Decimal("10.01") * attempts
    assert figures.arrived == Decimal("4000")
    assert_rollups_agree(programme, period)


@pytest.mark.django_db
def test_a_bulk_load_rebuilds_the_rollups_once_and_they_agree(world):
    programme, period, _other, projects = world
    with rollups.deferred_rollups():
        for project in projects:
            record(project, ARRIVAL, "1000")
            BudgetLine.objects.create(project=project, year=2030, amount=Decimal("5"))
        # Nothing is added up while the load runs.
        assert selectors.totals(selectors.projects_in_scope(public=False)).arrived == 0
    assert_rollups_agree(programme, period)
    assert selectors.totals(selectors.projects_in_scope(public=False)).arrived == 6000


@pytest.mark.django_db
def test_the_migration_that_regroups_the_rollups_fills_them_as_rebuild_does(world):
    """Migration 0014, which groups the rollups by place level too, refills them with the models
    of its own time, not the live code (as 0003, which added them, did); on data of every kind
    (revised lines, illustrative entries and lines, unpublished projects, projects with and
    without a place) it gives exactly what `rollups.rebuild` gives."""
    projects = world[3]
    projects[5].place = PlaceFactory()
    projects[5].save()
    record(projects[0], ARRIVAL, "5000", illustrative=True)
    record(projects[0], DISBURSEMENT, "2000", date=datetime.date(2023, 5, 1))
    record(projects[4], ARRIVAL, "700")
    record(projects[1], COMMITMENT, "900")
    BudgetLine.objects.create(
        project=projects[2], year=2024, kind=BudgetLine.Kind.REVISED, amount=Decimal("10")
    )
    BudgetLine.objects.create(
        project=projects[3], year=2025, amount=Decimal("8"), illustrative=True
    )
    rollups.rebuild()
    tables = (
        (FundingRollup, (*rollups.KEY, *rollups.BASE_SUMS)),
        (FundingRollupYear, (*rollups.KEY, "year", *rollups.YEAR_SUMS)),
    )
    expected = {model: sorted(model.objects.values_list(*columns)) for model, columns in tables}
    FundingRollup.objects.all().delete()
    FundingRollupYear.objects.all().delete()

    migration = importlib.import_module("funding.migrations.0015_policy_shares")
    state = MigrationLoader(connection).project_state(("funding", "0015_policy_shares"))
    migration.fill_rollups(state.apps, SimpleNamespace(connection=connection))

    for model, columns in tables:
        assert sorted(model.objects.values_list(*columns)) == expected[model], model
    assert rollups.differences() == []
