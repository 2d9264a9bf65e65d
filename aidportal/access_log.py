"""One JSON line per request on the `aidportal.access` logger, and a request id to follow it by.

The line holds the request id, method, path (without the query string, which may carry search
terms), status, duration in milliseconds, and who called: the staff user's id, the API key's id,
neither for a visitor. The request id is the proxy's X-Request-ID when it sent a well-formed one,
else a new one; the response carries it back, and Sentry reports are tagged with it.
"""

import logging
import re
import time
import uuid

import sentry_sdk
from django.utils.functional import empty

logger = logging.getLogger("aidportal.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def request_id(request) -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def caller_ids(request) -> tuple[int | None, int | None]:
    """The user's and the API key's ids, if the request got as far as knowing them; never looks
    a session up only to log it."""
    user = request.__dict__.get("user")
    if user is not None and getattr(user, "_wrapped", None) is empty:
        user = None
    user_id = user.pk if user is not None and user.is_authenticated else None
    key = getattr(request, "auth", None)
    key_id = getattr(key, "pk", None) if key is not None else None
    return user_id, key_id


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = request_id(request)
        sentry_sdk.set_tag("request_id", request.request_id)
        response = self.get_response(request)
        duration = (time.perf_counter() - started) * 1000
        response["X-Request-ID"] = request.request_id
        user_id, key_id = caller_ids(request)
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request.request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration, 2),
                "user_id": user_id,
                "api_key_id": key_id,
            },
        )
        return response
