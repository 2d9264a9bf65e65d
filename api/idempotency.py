"""Idempotency-Key for POSTs that create records.

The first request with a key claims it in a committed row, so a concurrent retry sees it and
gets a 409. The write and the stored answer commit together; a retry with the same body gets
that answer again and writes nothing, a retry with another body gets a 422. A request that
fails (validation, conflict, crash) releases its claim, so a corrected retry may use the key.
"""

import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from api.callers import caller_of
from api.models import IdempotencyRecord
from api.problems import Conflict, UnprocessableContent

HEADER = "Idempotency-Key"
# A claim left by a crashed worker stops blocking retries after this long.
ABANDONED_AFTER = datetime.timedelta(minutes=5)
REPLAYED_HEADERS = ("Location", "ETag")


def fingerprint(request: Request) -> str:
    """The method, path and body, with JSON key order and spacing not counting."""
    try:
        body = json.dumps(
            json.loads(request.body or b"null"), sort_keys=True, separators=(",", ":")
        )
    except (ValueError, RecursionError):
        # Not JSON, or nested too deeply to parse: the raw bytes identify it; the parser
        # refuses it next.
        body = request.body.decode("latin-1")
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(*, caller: str, key: str, request: Request) -> tuple[IdempotencyRecord, bool]:
    now = timezone.now()
    digest = fingerprint(request)
    try:
        with transaction.atomic():
            # A request being handled has its method.
            record = IdempotencyRecord.objects.create(  # type: ignore[misc]
                caller=caller,
                key=key,
                method=request.method,
                path=request.path,
                request_hash=digest,
            )
        return record, True
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.get(caller=caller, key=key)
    expired = record.created_at < now - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    abandoned = record.completed_at is None and record.created_at < now - ABANDONED_AFTER
    if expired or abandoned:
        # Take the key over only if no one else did in the meantime.
        taken = IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).update(
            created_at=now,
            completed_at=None,
            response_status=None,
            response_body=None,
            response_headers={},
            request_hash=digest,
            method=request.method,
            path=request.path,
        )
        if taken:
            record.refresh_from_db()
            return record, True
        record.refresh_from_db()
    return record, False


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.response_status)
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


Handler = Callable[..., Response]


def idempotent(handler: Handler) -> Handler:
    """Wrap a view method that creates records (e.g. a viewset's `create`)."""

    # `view` is the viewset whose method is wrapped; it learns the key for its audit rows.
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            with transaction.atomic():
                return handler(view, request, *args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise exceptions.ValidationError(
                {HEADER: [_("Use 1 to 255 printable characters, such as a UUID.")]}
            )
        record, claimed = _claim(caller=caller_of(request).identity, key=key, request=request)
        if not claimed:
            if record.request_hash != fingerprint(request):
                raise UnprocessableContent(
                    _("This Idempotency-Key was already used for a different request."),
                    code="idempotency-key-reused",
                )
            if record.completed_at is None:
                raise Conflict(
                    _("A request with this Idempotency-Key is still being processed."),
                    code="idempotency-in-progress",
                )
            return _replay(record)
        try:
            with transaction.atomic():
                view.idempotency_key = key
                response = handler(view, request, *args, **kwargs)
                record.completed_at = timezone.now()
                record.response_status = response.status_code
                record.response_body = response.data
                record.response_headers = {
                    name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)
                }
                record.save()
            return response
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk, completed_at__isnull=True).delete()
            raise

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


def purge_expired() -> int:
    """Delete answers older than IDEMPOTENCY_KEY_TTL_HOURS; returns how many."""
    cutoff = timezone.now() - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
