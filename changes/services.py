"""Every write of the change feed: an event in the same transaction as its change, and the
webhook endpoints organisations register.

Public records are written in many places (services, the partner write pipeline, admin forms,
imports, the demo loader). Each of those saves already writes a change-history row through
django-simple-history, whose `post_create_historical_record` signal fires inside the saving
transaction, after the row is written; hooking the feed there gives every tracked record its
event without a call at each write site, so none can be forgotten, and an event rolls back with
its change. Records without a history (ledger entries, which are only ever added) call
`record_event` from the service that posts them.
"""

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from django.db import connections, models, transaction
from django.db.models import F
from django.utils import timezone

from changes.models import Event, EventAudience, WebhookEndpoint
from changes.records import (
    CREATED,
    DELETED,
    PUBLISHED,
    UPDATED,
    WITHDRAWN,
    Record,
    record_of,
)
from core.bulk import insert_rows
from reference.models import Organisation


def record_event(
    *,
    record: Record,
    instance: models.Model,
    change: str,
    changed_fields: Iterable[str] = (),
    public: bool,
    using: str = "default",
) -> Event:
    """Write one event for `instance`; a private one names the organisations that may read it.
    Deliveries are asked for once the transaction commits."""
    event = Event.objects.using(using).create(
        type=f"{record.name}.{change}",
        resource=record.name,
        resource_id=str(instance.pk),
        path=record.path(instance),
        changed_fields=sorted(changed_fields),
        public=public,
    )
    if not public:
        EventAudience.objects.using(using).bulk_create(
            EventAudience(event=event, organisation_id=organisation)
            for organisation in sorted(set(record.organisations(instance)))
        )
    connection = connections[using]
    if connection.vendor != "postgresql":
        # SQLite lets one writer commit at a time, so the id order is the commit order.
        Event.objects.using(using).filter(pk=event.pk).update(position=event.pk)
    _deliver_on_commit(using)
    return event


class NewEvent(NamedTuple):
    """One event of a bulk write: the record's id and address, whether it is public, and the
    organisations that may read it if it is not."""

    resource_id: str
    path: str
    public: bool
    organisations: Sequence[int]


def record_events(*, record: Record, change: str, events: Sequence[NewEvent]) -> None:
    """`record_event` for many records written at once (a bulk import), with one insert per
    batch: the same events, in the given order."""
    if not events:
        return
    now = timezone.now()
    ids = insert_rows(
        Event,
        ("type", "resource", "resource_id", "path", "at", "changed_fields", "public"),
        [
            (
                f"{record.name}.{change}",
                record.name,
                event.resource_id,
                event.path,
                now,
                [],
                event.public,
            )
            for event in events
        ],
    )
    insert_rows(
        EventAudience,
        ("event_id", "organisation_id"),
        [
            (event_id, organisation)
            for event_id, event in zip(ids, events, strict=True)
            if not event.public
            for organisation in sorted(set(event.organisations))
        ],
    )
    if connections["default"].vendor != "postgresql":
        # As in record_event: on SQLite the id order is the commit order.
        Event.objects.filter(pk__in=ids).update(position=F("pk"))
    _deliver_on_commit("default")


def _dispatch() -> None:
    from changes.tasks import dispatch

    dispatch.delay()


def _deliver_on_commit(using: str) -> None:
    """Ask the worker to deliver once this transaction commits, once however many events."""
    callbacks = connections[using].run_on_commit  # (savepoints, callback, robust) in Django 5
    if any(entry[1] is _dispatch for entry in callbacks):
        return
    transaction.on_commit(_dispatch, using=using)


def record_history_event(
    sender: type[models.Model],
    instance: models.Model,
    history_instance: Any,
    using: str | None = None,
    **kwargs: Any,
) -> None:
    """The event of a tracked public record's create, update, publication, withdrawal or
    deletion, from the change-history row just written (see the module's docstring)."""
    record = record_of(type(instance))
    if record is None:
        return
    kind = history_instance.history_type
    previous = history_instance.prev_record if kind != "+" else None
    if kind == "+":
        change, fields = CREATED, [field.name for field in type(history_instance).tracked_fields]
        published_before, published_now = False, record.published(instance)
    elif kind == "-":
        change, fields = DELETED, []
        published_before, published_now = record.published(instance), False
    else:
        fields = history_instance.diff_against(previous).changed_fields if previous else []
        if not fields:
            return  # saved without a change: nothing happened to report
        published_before = record.published(previous.instance) if previous else False
        published_now = record.published(instance)
        if published_now and not published_before:
            change = PUBLISHED
        elif published_before and not published_now:
            change = WITHDRAWN
        else:
            change = UPDATED
    record_event(
        record=record,
        instance=instance,
        change=change,
        changed_fields=fields,
        # A withdrawal is public news: readers of the record must learn it is gone.
        public=published_now or published_before,
        using=using or "default",
    )


def register_endpoint(
    *, organisation: Organisation, url: str, event_types: list[str]
) -> WebhookEndpoint:
    """An organisation's new endpoint; it receives the events recorded from now on."""
    endpoint = WebhookEndpoint(organisation=organisation, url=url, event_types=event_types)
    endpoint.delivered_position = latest_position()
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def change_endpoint(*, endpoint: WebhookEndpoint, **values: Any) -> WebhookEndpoint:
    for name, value in values.items():
        setattr(endpoint, name, value)
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def remove_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint with its delivery log; its events stay in the feed."""
    endpoint.delete()


def enable_endpoint(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Deliver again to a disabled endpoint, from where it stopped."""
    endpoint.disabled_at, endpoint.disabled_reason = None, ""
    endpoint.failures, endpoint.retry_at = 0, None
    endpoint.save(update_fields=["disabled_at", "disabled_reason", "failures", "retry_at"])
    transaction.on_commit(lambda: _deliver(endpoint.pk))
    return endpoint


def _deliver(endpoint_id: int) -> None:
    from changes.tasks import deliver

    deliver.delay(endpoint_id)


def latest_position() -> int:
    return (
        Event.objects.filter(position__isnull=False).aggregate(top=models.Max("position"))["top"]
        or 0
    )
