"""Every read of the change feed: which events a caller or an endpoint's organisation sees, in
commit order."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from api.callers import Caller
from changes.models import Event, EventAudience, WebhookEndpoint


def _visible(events: QuerySet[Event], organisation_id: int | None) -> QuerySet[Event]:
    if organisation_id is None:
        return events.filter(public=True)
    own = EventAudience.objects.filter(event=OuterRef("pk"), organisation_id=organisation_id)
    return events.filter(Q(public=True) | Exists(own))


def events_for(*, caller: Caller, after: int = 0) -> QuerySet[Event]:
    """The events after position `after` the caller may read, oldest first: public events for
    everyone, a key's organisation's private ones too, every event for staff. Only committed
    events have a position, so a page never skips one that commits later."""
    events = Event.objects.filter(position__gt=after).order_by("position")
    if caller.is_staff:
        return events
    return _visible(events, caller.organisation_id)


def pending_events(endpoint: WebhookEndpoint) -> QuerySet[Event]:
    """The events an endpoint has still to receive, in commit order."""
    events = _visible(
        Event.objects.filter(position__gt=endpoint.delivered_position).order_by("position"),
        endpoint.organisation_id,
    )
    if "*" not in endpoint.event_types:
        events = events.filter(type__in=endpoint.event_types)
    return events


def endpoints_for(*, caller: Caller) -> QuerySet[WebhookEndpoint]:
    """The endpoints a caller manages: its organisation's, or every one for staff."""
    endpoints = WebhookEndpoint.objects.select_related("organisation")
    if caller.is_staff:
        return endpoints
    if caller.organisation_id is None:
        return endpoints.none()
    return endpoints.filter(organisation_id=caller.organisation_id)
