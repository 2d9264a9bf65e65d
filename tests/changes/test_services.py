"""The outbox: every change of a public record writes its event in the same transaction, and a
write that fails leaves none."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from changes.models import Event
from changes.records import event_types
from funding import services as funding
from funding.models import LedgerEntry
from funding.services import BeyondArrivals
from tests.factories import (
    OrganisationFactory,
    ParticipantFactory,
    ProgressUpdateFactory,
    ProjectFactory,
)

DAY = datetime.date(2024, 5, 1)


def types(**filters) -> list[str]:
    return list(Event.objects.filter(**filters).order_by("id").values_list("type", flat=True))


@pytest.mark.django_db
def test_create_update_publication_and_withdrawal_of_a_project_each_write_an_event():
    project = ProjectFactory(published=False)
    project.title_en = "Renamed"
    project.save()
    project.published = True
    project.save()
    project.published = False
    project.save()
    project.save()  # nothing changed: nothing to report

    assert types(resource="project", resource_id=str(project.pk)) == [
        "project.created",
        "project.updated",
        "project.published",
        "project.withdrawn",
    ]
    renamed = Event.objects.get(type="project.updated")
    assert renamed.changed_fields == ["title_en"]
    assert renamed.path == f"/api/v1/projects/{project.code}/"


@pytest.mark.django_db
def test_an_unpublished_record_s_events_are_its_organisations_own():
    org, other = OrganisationFactory(), OrganisationFactory()
    project = ProjectFactory(published=True)
    ParticipantFactory(project=project, organisation=other)
    update = ProgressUpdateFactory(project=project, organisation=org, published=False)
    update.title_en = "Changed"
    update.save()

    created, changed = Event.objects.filter(resource="update").order_by("id")
    assert (created.public, changed.public) == (False, False)
    assert list(changed.organisations.all()) == [org]
    # Its publication and withdrawal are public news.
    update.published = True
    update.save()
    update.published = False
    update.save()
    assert list(
        Event.objects.filter(resource="update").order_by("id").values_list("type", "public")
    )[2:] == [("update.published", True), ("update.withdrawn", True)]


@pytest.mark.django_db
def test_restricted_records_never_reach_the_feed():
    assert not any(
        name.startswith(("student", "enrolment", "exam_result")) for name in event_types()
    )


@pytest.mark.django_db
def test_a_posted_ledger_entry_and_its_reversal_write_events():
    project = ProjectFactory(published=True)
    entry = funding.record_entry(
        project=project, type=LedgerEntry.Type.INCOMING_FUNDS, date=DAY, amount=Decimal("100")
    )
    reversal = funding.reverse_entry(entry=entry, reason="Typed twice")

    events = Event.objects.filter(type="ledger_entry.posted").order_by("id")
    assert [event.resource_id for event in events] == [str(entry.pk), str(reversal.pk)]
    assert all(event.public for event in events)
    assert events[0].path == f"/api/v1/funding/entries/{entry.pk}/"


@pytest.mark.django_db
def test_a_refused_write_leaves_no_event():
    project = ProjectFactory(published=True)
    before = Event.objects.count()

    with pytest.raises(BeyondArrivals):
        funding.record_entry(
            project=project, type=LedgerEntry.Type.DISBURSEMENT, date=DAY, amount=Decimal("5")
        )
    with pytest.raises(RuntimeError), transaction.atomic():
        project.title_en = "Never saved"
        project.save()
        raise RuntimeError("the rest of the change failed")

    assert Event.objects.count() == before


@pytest.mark.django_db
def test_no_change_of_a_public_record_without_its_event():
    """Every history row of a public record written in a test's writes has its event."""
    from changes.records import records

    project = ProjectFactory(published=True)
    ParticipantFactory(project=project)
    ProgressUpdateFactory(project=project)
    for model in records():
        history = getattr(model, "history", None)
        if history is None:
            continue
        for row in history.all():
            assert Event.objects.filter(
                resource=records()[model].name, resource_id=str(row.id)
            ).exists(), f"{model.__name__} {row.id} changed without an event"


def test_positions_follow_commit_order_not_insert_order(transactional_db):
    """A transaction that writes its event first but commits last comes last in the feed, so a
    reader who has passed the other's event never misses it."""
    first_written = threading.Event()
    second_committed = threading.Event()
    project = ProjectFactory(published=True)

    def slow_writer():
        try:
            with transaction.atomic():
                project.title_en = "Slow"
                project.save()
                first_written.set()
                second_committed.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    first_written.wait(10)
    fast = ProjectFactory(published=True)
    second_committed.set()
    thread.join(10)

    slow_event = Event.objects.get(type="project.updated")
    fast_event = Event.objects.get(type="project.created", resource_id=str(fast.pk))
    assert slow_event.id < fast_event.id
    assert slow_event.position > fast_event.position
    assert connection.vendor == "postgresql"
