"""The periodic tasks celery beat sends: the nightly ledger check, which e-mails the finance staff
when it fails, and the daily purge of old Idempotency-Key answers."""

import datetime
from decimal import Decimal

import pytest
from celery.schedules import crontab
from django.contrib.auth.models import Group, User
from django.core import mail
from django.utils import timezone

from aidportal.celery import app
from api import tasks as api_tasks
from api.models import IdempotencyRecord
from funding import services
from funding import tasks as funding_tasks
from funding.models import LedgerCheck, LedgerEntry, ProjectFunding
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def staff_in(group_name: str, email: str, **kwargs) -> User:
    user = User.objects.create_user(
        group_name.replace(" ", "-") + email[:3], email=email, is_staff=True, **kwargs
    )
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_beat_sends_both_tasks_on_their_schedule():
    app.loader.import_default_modules()  # what a worker does at start: autodiscover the tasks
    schedule = app.conf.beat_schedule

    assert schedule["check-ledger-nightly"]["task"] == "funding.tasks.check_ledger"
    assert schedule["check-ledger-nightly"]["schedule"] == crontab(hour=2, minute=30)
    assert schedule["purge-idempotency-keys-daily"]["task"] == "api.tasks.purge_idempotency_keys"
    assert schedule["purge-idempotency-keys-daily"]["schedule"] == crontab(hour=3, minute=45)
    for entry in schedule.values():
        assert entry["task"] in app.tasks


def test_a_clean_ledger_check_is_recorded_and_mails_nobody():
    staff_in("Finance officer", "officer@example.org")
    project = ProjectFactory()
    services.record_entry(
        project=project,
        type=LedgerEntry.Type.INCOMING_FUNDS,
        date=datetime.date(2024, 3, 1),
        amount=Decimal("100"),
    )

    funding_tasks.check_ledger()

    assert list(LedgerCheck.objects.values_list("passed", "difference_count")) == [(True, 0)]
    assert mail.outbox == []


def test_a_failed_ledger_check_is_recorded_and_mailed_to_the_finance_staff():
    officer = staff_in("Finance officer", "officer@example.org")
    approver = staff_in("Finance approver", "approver@example.org")
    staff_in("Auditor", "auditor@example.org")  # reads the runs but records no entries
    staff_in("Finance officer", "gone@example.org", is_active=False)
    project = ProjectFactory(code="HZ-DRIFT")
    services.record_entry(
        project=project,
        type=LedgerEntry.Type.INCOMING_FUNDS,
        date=datetime.date(2024, 3, 1),
        amount=Decimal("100"),
    )
    # A total changed behind the services' back.
    ProjectFunding.objects.filter(project=project).update(arrived=Decimal("150"))

    funding_tasks.check_ledger()

    check = LedgerCheck.objects.get()
    assert (
        not check.passed and "HZ-DRIFT arrived: totals 150.00, ledger 100.00" in check.differences
    )
    [message] = mail.outbox
    assert sorted(message.to) == sorted([officer.email, approver.email])
    assert "HZ-DRIFT arrived: totals 150.00, ledger 100.00" in message.body
    assert f"/admin/funding/ledgercheck/{check.pk}/change/" in message.body


def test_the_purge_deletes_only_answers_older_than_the_ttl(settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 48
    now = timezone.now()
    for key, age in (("old", 49), ("fresh", 47)):
        IdempotencyRecord.objects.create(
            caller="key:1",
            key=key,
            method="POST",
            path="/api/v1/funding/entries/",
            request_hash="0" * 64,
            created_at=now - datetime.timedelta(hours=age),
        )

    assert api_tasks.purge_idempotency_keys() == 1

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
