"""Delivering one event to one endpoint, signed per the Standard Webhooks specification
(`webhook-id`, `webhook-timestamp`, `webhook-signature` over id, timestamp and body)."""

import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from standardwebhooks import Webhook

from changes.models import Event, WebhookEndpoint


def message_id(event: Event) -> str:
    # The same id on every attempt, so a receiver can drop a duplicate it already processed.
    return f"evt_{event.pk}"


def payload(event: Event) -> str:
    return json.dumps(
        {
            "type": event.type,
            "timestamp": event.at.isoformat(),
            "data": {
                "id": message_id(event),
                "cursor": str(event.position),
                "resource": event.resource,
                "resource_id": event.resource_id,
                "url": settings.SITE_URL.rstrip("/") + event.path,
                "changed_fields": event.changed_fields,
            },
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    status_code: int | None
    error: str
    duration_ms: int


def send(endpoint: WebhookEndpoint, event: Event) -> Outcome:
    """POST the signed event; a 2xx answer within the timeout is a delivery."""
    body = payload(event)
    now = timezone.now()
    identifier = message_id(event)
    request = urllib.request.Request(
        endpoint.url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "AidPortal-Webhooks/1",
            "webhook-id": identifier,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(endpoint.secret).sign(identifier, now, body),
        },
    )
    started = time.monotonic()
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as failure:
        status = failure.code
    except (OSError, ValueError) as failure:
        error = f"{type(failure).__name__}: {failure}"[:300]
    duration = int((time.monotonic() - started) * 1000)
    return Outcome(status is not None and 200 <= status < 300, status, error, duration)


def backoff(failures: int) -> timedelta:
    """Exponential backoff with jitter: up to base × 2^(failures − 1), capped, at least half of
    it, so that endpoints that failed together do not all retry at once."""
    ceiling = min(
        settings.WEBHOOK_RETRY_MAX_SECONDS,
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (failures - 1),
    )
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))
