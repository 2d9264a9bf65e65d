"""Every API error as `application/problem+json` (RFC 9457), in the caller's language.

Domain exceptions are raised in services and views; this module is the one edge where they,
DRF's own exceptions and anything unexpected become a problem document.
"""

import functools
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from core import exceptions as domain
from core.registry import app_modules

logger = logging.getLogger("api")

CONTENT_TYPE = "application/problem+json"
# Relative URIs that resolve to this API's own description of each problem type.
TYPE_BASE = "/api/v1/problems/"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the record's current state.")
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record has changed since you read it: fetch it again and reapply your change."
    )
    default_code = "precondition-failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = gettext_lazy(
        "Send If-Match with the ETag you last read, so that no one else's change is overwritten."
    )
    default_code = "precondition-required"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request-too-large"


class UnprocessableContent(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The request cannot be processed.")
    default_code = "unprocessable"


# What each `type` of the platform means; each app adds those it raises, as a PROBLEM_TYPES of
# its own in its `problems.py`. All of them are served at /api/v1/problems/<type>.
PROBLEM_TYPES = {
    "validation-error": gettext_lazy(
        "One or more fields are not valid; `errors` lists the messages per field. "
        "Nothing was written."
    ),
    "malformed-request": gettext_lazy("The body is not well-formed JSON. Nothing was written."),
    "too-deeply-nested": gettext_lazy(
        "The JSON body nests arrays or objects deeper than the API allows (`detail` gives the "
        "limit); no request of this API needs more than a few levels. Nothing was written."
    ),
    "request-too-large": gettext_lazy(
        "The request body is larger than the API accepts (DATA_UPLOAD_MAX_MEMORY_SIZE bytes, "
        "2.5 MB unless configured otherwise). Nothing was written."
    ),
    "not-authenticated": gettext_lazy("Send a valid key as `Authorization: Bearer <key>`."),
    "authentication-failed": gettext_lazy("The key is unknown, revoked or expired."),
    "permission-denied": gettext_lazy(
        "The caller may not do this: a key writing where partner keys may not, or staff "
        "without the permission."
    ),
    "missing-capability": gettext_lazy(
        "The API key was not granted the capability this operation needs; `capability` names "
        "it. Keys only read unless granted capabilities: updates:write (progress updates), "
        "medical:claim (揭榜 claims, their reports and deliveries), education:results (exam "
        "results), funding:entries (ledger entries; granted only by a finance approver). Ask "
        "the programme's staff for a key with it. Nothing was written."
    ),
    "not-found": gettext_lazy(
        "No such record, or none this caller may see: another organisation's records are "
        "not found, so that their existence does not leak."
    ),
    "method-not-allowed": gettext_lazy("This address does not accept that method."),
    "not-acceptable": gettext_lazy("The API answers in JSON only."),
    "unsupported-media-type": gettext_lazy("Send the body as application/json."),
    "conflict": gettext_lazy("The request conflicts with the record's current state."),
    "idempotency-in-progress": gettext_lazy(
        "A request with this Idempotency-Key is still running; retry after it has finished."
    ),
    "idempotency-key-reused": gettext_lazy(
        "This Idempotency-Key was used with a different request; use a new key for a new request."
    ),
    "precondition-failed": gettext_lazy(
        "The record changed since you read it (If-Match no longer matches its ETag)."
    ),
    "precondition-required": gettext_lazy("Changing this record needs an If-Match header."),
    "throttled": gettext_lazy("Too many requests; wait the number of seconds in Retry-After."),
    "server-error": gettext_lazy("An unexpected error; it has been logged."),
}


@functools.cache
def problem_types() -> dict[str, Promise]:
    """Every problem type: the platform's, then each app's, in INSTALLED_APPS order."""
    types: dict[str, Promise] = {}
    for module in app_modules("problems"):
        for slug, description in module.PROBLEM_TYPES.items():
            if slug in types:
                raise ImproperlyConfigured(f"{module.__name__} registers {slug!r} a second time.")
            types[slug] = description
    return types


TITLES = {
    400: gettext_lazy("Bad request"),
    401: gettext_lazy("Not authenticated"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    406: gettext_lazy("Not acceptable"),
    409: gettext_lazy("Conflict"),
    412: gettext_lazy("Precondition failed"),
    413: gettext_lazy("Content too large"),
    415: gettext_lazy("Unsupported media type"),
    422: gettext_lazy("Unprocessable content"),
    428: gettext_lazy("Precondition required"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Server error"),
}


def problem(
    status_code: int, detail: object, *, code: str | None = None, **extra: object
) -> dict[str, object]:
    """The problem document; `code` names the `type`, else the status's own."""
    slug = code or {
        400: "bad-request",
        401: "not-authenticated",
        403: "permission-denied",
        404: "not-found",
        405: "method-not-allowed",
        406: "not-acceptable",
        415: "unsupported-media-type",
        429: "throttled",
        500: "server-error",
    }.get(status_code, "error")
    body: dict[str, object] = {
        "type": TYPE_BASE + slug,
        "title": str(TITLES.get(status_code, _("Error"))),
        "status": status_code,
        "detail": str(detail),
    }
    body.update(extra)
    return body


def _messages(value: object, prefix: str = "") -> dict[str, list[str]]:
    """DRF's error tree flattened to {field: [messages]}; a nested field is named by its path,
    such as `title.zh-hans` or `items[2].amount`."""
    if isinstance(value, dict):
        flat = {}
        for key, item in value.items():
            if prefix and key == "non_field_errors":
                flat.update(_messages(item, prefix))  # a nested object's own error is its field's
            else:
                flat.update(_messages(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        flat = {}
        for index, item in enumerate(value):
            if item:
                flat.update(_messages(item, f"{prefix}[{index}]"))
        return flat
    messages = value if isinstance(value, list) else [value]
    return {prefix or "non_field_errors": [str(message) for message in messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        # A service's rule, phrased per field where it can be.
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, domain.Conflict):
        exc = Conflict(str(exc), code=exc.code)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(
            _("The request body is larger than %(limit)d bytes.")
            % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )

    if not isinstance(exc, exceptions.APIException):
        request = context.get("request")
        logger.exception(
            "Unexpected error in %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
        )
        return Response(
            problem(500, _("Something went wrong on our side. The error has been logged.")),
            status=500,
            content_type=CONTENT_TYPE,
        )

    headers: dict[str, str] = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(wait) + 1)

    if isinstance(exc, exceptions.ValidationError):
        errors = _messages(
            exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        )
        fields = ", ".join(errors)
        body = problem(
            400,
            _("Some fields are not valid: %(fields)s.") % {"fields": fields},
            code="validation-error",
            errors=errors,
        )
    elif isinstance(exc, exceptions.ParseError):
        code = getattr(exc.detail, "code", None)
        body = problem(
            400, exc.detail, code=code if code == "too-deeply-nested" else "malformed-request"
        )
    else:
        detail = exc.detail if not isinstance(exc.detail, (list, dict)) else exc.default_detail
        code = getattr(exc.detail, "code", None) or exc.default_code
        body = problem(
            exc.status_code,
            detail,
            code=code.replace("_", "-"),
            **getattr(exc, "problem_extra", {}),
        )

    return Response(body, status=exc.status_code, headers=headers, content_type=CONTENT_TYPE)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 for paths no view matches: problem+json under /api/, the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            problem(404, _("There is no such address in the API.")),
            status=404,
            content_type=CONTENT_TYPE,
        )
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(
            problem(500, _("Something went wrong on our side. The error has been logged.")),
            status=500,
            content_type=CONTENT_TYPE,
        )
    from django.views.defaults import server_error as page_server_error

    return page_server_error(request)
