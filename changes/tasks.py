"""The webhook worker's tasks (Celery). The database holds every delivery's state (each
endpoint's position, failures and next attempt), so a lost task or a killed worker loses no
event: `resume` runs when a worker starts and picks every endpoint up where it stopped."""

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from changes.delivery import backoff, send
from changes.models import Delivery, WebhookEndpoint
from changes.selectors import pending_events


@shared_task(ignore_result=True)
def dispatch() -> None:
    """New events were committed: every active endpoint delivers what it has pending."""
    for endpoint_id in WebhookEndpoint.objects.filter(disabled_at__isnull=True).values_list(
        "pk", flat=True
    ):
        deliver.delay(endpoint_id)


@shared_task(ignore_result=True)
def resume() -> None:
    """After a restart: deliver to every active endpoint, honouring retries already due later."""
    for endpoint in WebhookEndpoint.objects.filter(disabled_at__isnull=True):
        wait = (endpoint.retry_at - timezone.now()).total_seconds() if endpoint.retry_at else 0
        deliver.apply_async((endpoint.pk,), countdown=max(wait, 0))


@worker_ready.connect
def _resume_when_ready(sender, **kwargs) -> None:
    resume.delay()


@shared_task(ignore_result=True)
def deliver(endpoint_id: int) -> None:
    """Deliver an endpoint's pending events one at a time, in commit order (so in order per
    record), each at least once. The endpoint's row is locked while an event is sent, so two
    workers never deliver to one endpoint at once; a failure stops the run and schedules the
    retry, and enough failures in a row disable the endpoint."""
    while True:
        with transaction.atomic():
            active = WebhookEndpoint.objects.filter(pk=endpoint_id, disabled_at__isnull=True)
            endpoint = active.select_for_update(skip_locked=True).first()
            if endpoint is None:
                if active.exists() and not deliver.app.conf.task_always_eager:
                    # Another worker is sending to it and may have looked for events before
                    # this task's were committed: look again once it is done.
                    deliver.apply_async((endpoint_id,), countdown=1)
                return
            if endpoint.retry_at and endpoint.retry_at > timezone.now():
                return  # its retry is scheduled
            event = pending_events(endpoint).first()
            if event is None:
                return
            outcome = send(endpoint, event)
            attempt = endpoint.failures + 1
            Delivery.objects.create(
                endpoint=endpoint,
                event=event,
                attempt=attempt,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
                succeeded=outcome.succeeded,
            )
            if outcome.succeeded:
                # Only committed events, which have a position, are pending.
                endpoint.delivered_position = event.position  # type: ignore[assignment]
                endpoint.failures, endpoint.retry_at = 0, None
                endpoint.save(update_fields=["delivered_position", "failures", "retry_at"])
                continue
            endpoint.failures = attempt
            if attempt >= settings.WEBHOOK_MAX_FAILURES:
                endpoint.disabled_at, endpoint.retry_at = timezone.now(), None
                endpoint.disabled_reason = _(
                    "Disabled after %(count)d failed deliveries in a row; the last: %(last)s."
                ) % {
                    "count": attempt,
                    "last": f"HTTP {outcome.status_code}" if outcome.status_code else outcome.error,
                }
                endpoint.disabled_reason = endpoint.disabled_reason[:300]
                endpoint.save(
                    update_fields=["failures", "retry_at", "disabled_at", "disabled_reason"]
                )
                return
            delay = backoff(attempt)
            endpoint.retry_at = timezone.now() + delay
            endpoint.save(update_fields=["failures", "retry_at"])
        deliver.apply_async((endpoint_id,), countdown=delay.total_seconds())
        return
