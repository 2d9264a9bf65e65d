"""The ledger's rules, against a real PostgreSQL: exact sums, append-only rows, and
disbursed never past arrived under any concurrency."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from funding import services
from funding.models import LedgerEntry, ProjectFunding, ProjectFundingYear
from funding.services import BeyondArrivals
from tests.factories import ProjectFactory

DAY = datetime.date(2024, 3, 1)
ARRIVAL, DISBURSEMENT = LedgerEntry.Type.INCOMING_FUNDS, LedgerEntry.Type.DISBURSEMENT


def record(project, type, amount, **kwargs):
    return services.record_entry(
        project=project, type=type, date=kwargs.pop("date", DAY), amount=Decimal(amount), **kwargs
    )


def staff(username, *perms):
    user = User.objects.create_user(username, is_staff=True)
    for perm in perms:
        user.user_permissions.add(Permission.objects.get(codename=perm))
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.mark.django_db
def test_totals_follow_the_entries_exactly():
    project = ProjectFactory()
    record(project, ARRIVAL, "1000.10")
    record(project, ARRIVAL, "0.20", date=datetime.date(2025, 1, 2))
    record(project, DISBURSEMENT, "600.05")
    record(project, LedgerEntry.Type.EXPENDITURE, "100.00")

    totals = ProjectFunding.objects.get(project=project)

    assert (totals.arrived, totals.disbursed, totals.spent) == (
        Decimal("1000.30"),
        Decimal("600.05"),
        Decimal("100.00"),
    )
    years = {row.year: row.arrived for row in ProjectFundingYear.objects.filter(project=project)}
    assert years == {2024: Decimal("1000.10"), 2025: Decimal("0.20")}


@pytest.mark.django_db
def test_a_disbursement_beyond_arrivals_is_refused_and_writes_nothing():
    project = ProjectFactory()
    record(project, ARRIVAL, "1000")
    record(project, DISBURSEMENT, "900")

    with pytest.raises(BeyondArrivals) as refused:
        record(project, DISBURSEMENT, "100.01")

    assert "100.00" in str(refused.value)
    assert LedgerEntry.objects.filter(type=DISBURSEMENT).count() == 1
    assert ProjectFunding.objects.get(project=project).disbursed == Decimal("900")


@pytest.mark.django_db
def test_staff_with_the_permission_may_go_beyond_arrivals_with_a_reason():
    project = ProjectFactory()
    record(project, ARRIVAL, "100")
    allowed = staff("finance", "record_beyond_arrivals")

    entry = record(
        project, DISBURSEMENT, "150", recorded_by=allowed, beyond_arrivals_reason="省级资金在途"
    )

    assert entry.beyond_arrivals and entry.reason == "省级资金在途"
    with pytest.raises(ValidationError):
        record(project, DISBURSEMENT, "1", recorded_by=staff("clerk"), beyond_arrivals_reason="x")
    with pytest.raises(BeyondArrivals):
        record(project, DISBURSEMENT, "1")  # later arrivals cover the 50 in transit first


@pytest.mark.django_db
def test_large_disbursements_count_once_a_second_person_approves(settings):
    project = ProjectFactory()
    record(project, ARRIVAL, "1000")
    settings.FUNDING_APPROVAL_THRESHOLD = "500"
    clerk = staff("clerk", "approve_disbursement")
    chief = staff("chief", "approve_disbursement")
    entry = record(project, DISBURSEMENT, "800", recorded_by=clerk)

    totals = ProjectFunding.objects.get(project=project)
    assert (totals.disbursed, totals.pending) == (Decimal("0"), Decimal("800"))
    with pytest.raises(BeyondArrivals):
        record(project, DISBURSEMENT, "300")  # the 800 awaiting approval is reserved
    with pytest.raises(services.Conflict):
        services.approve_disbursement(entry=entry, approved_by=clerk)

    services.approve_disbursement(entry=entry, approved_by=chief)

    totals.refresh_from_db()
    assert (totals.disbursed, totals.pending) == (Decimal("800"), Decimal("0"))


@pytest.mark.django_db
def test_a_reversal_points_to_the_original_and_both_stay():
    project = ProjectFactory()
    arrival = record(project, ARRIVAL, "1000")
    disbursement = record(project, DISBURSEMENT, "400")

    reversal = services.reverse_entry(entry=disbursement, reason="凭证号录错")

    assert reversal.reverses == disbursement and reversal.amount == Decimal("400")
    assert ProjectFunding.objects.get(project=project).disbursed == Decimal("0")
    assert LedgerEntry.objects.count() == 3
    with pytest.raises(services.Conflict):
        services.reverse_entry(entry=disbursement, reason="again")
    record(project, DISBURSEMENT, "1000")
    with pytest.raises(BeyondArrivals):
        services.reverse_entry(entry=arrival, reason="退回")


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_posted_entry():
    project = ProjectFactory()
    entry = record(project, ARRIVAL, "1000")

    for attempt in (
        lambda: LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1")),
        lambda: LedgerEntry.objects.filter(pk=entry.pk).delete(),
        lambda: connection.cursor().execute(
            "UPDATE funding_ledgerentry SET note = 'x' WHERE id = %s", [entry.pk]
        ),
    ):
        # The runtime role has no UPDATE or DELETE on entries; the owner meets the row trigger
        # (tests/test_database_roles.py).
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            attempt()

    entry.refresh_from_db()
    assert entry.amount == Decimal("1000") and entry.note == ""


@pytest.mark.django_db
def test_check_ledger_agrees_and_then_names_a_tampered_total(capsys):
    project = ProjectFactory(code="HZ-CHECK")
    record(project, ARRIVAL, "1000")
    record(project, DISBURSEMENT, "250")
    call_command("check_ledger")

    ProjectFunding.objects.filter(project=project).update(disbursed=Decimal("200"))

    # The project's total, and the programme rollup that no longer adds up to it.
    with pytest.raises(Exception, match="2 totals disagree"):
        call_command("check_ledger")
    errors = capsys.readouterr().err
    assert "HZ-CHECK disbursed: totals 200.00, ledger 250.00" in errors
    assert "disbursed: rollup 250.00, totals 200.00" in errors


@pytest.mark.django_db(transaction=True)
def test_parallel_disbursements_never_overdraw_arrivals():
    project = ProjectFactory()
    record(project, ARRIVAL, "1000")
    attempts, amount = 24, Decimal("100")
    barrier = threading.Barrier(attempts)
    outcomes = []

    def disburse():
        try:
            barrier.wait(20)
            record(project, DISBURSEMENT, amount)
            outcomes.append("ok")
        except BeyondArrivals:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=disburse) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert outcomes.count("ok") == 10 and outcomes.count("refused") == 14
    totals = ProjectFunding.objects.get(project=project)
    assert totals.disbursed == Decimal("1000") == totals.arrived
    assert LedgerEntry.objects.filter(type=DISBURSEMENT).count() == 10
    call_command("check_ledger")
