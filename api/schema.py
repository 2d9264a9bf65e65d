"""OpenAPI: the bearer scheme, the problem+json answers every operation can give, the headers
answers carry, and request schemas as strict as the serializers that read them."""

from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers

from api.filters import WholeNumberFilter
from api.serializers import StrictInputMixin

if TYPE_CHECKING:
    from django.db.models import Model
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.request import Request

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemSerializer(serializers.Serializer[Any]):
    """RFC 9457 problem details; `errors` only on validation errors."""

    type = serializers.CharField(help_text="URI of the problem type; GET it for an explanation.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]  # DRF takes declared fields off the class
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field, for validation errors.",
    )


# What each kind of operation can answer besides success. A list answers 404 for a page number
# or cursor that does not exist.
PROBLEMS = {
    "list": ("400", "401", "404", "429"),
    "retrieve": ("401", "404", "429"),
    "create": ("400", "401", "403", "409", "415", "422", "429"),
    "update": ("400", "401", "403", "404", "412", "415", "428", "429"),
    "destroy": ("401", "403", "404", "409", "412", "429"),
    "other": ("400", "401", "403", "404", "409", "429"),
}
# Any request with a body: one too large (413) or not JSON (415); a POST's Idempotency-Key reused
# with another body (422).
BODY_PROBLEMS = ("413", "415")
POST_PROBLEMS = ("422",)
# gunicorn answers an over-long request line itself, before Django, in plain text.
URI_TOO_LONG = {
    "description": "The request line is longer than the server accepts (gunicorn's "
    "`--limit-request-line`, 4094 bytes): shorten the query. Sent by the server in front of the "
    "API, not as problem+json."
}

# Response headers, named once and referred to by the answers that carry them.
HEADERS = {
    "ETag": {
        "description": "The record's version: send it as If-Match to change or delete it.",
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The address of the record just created.",
        "schema": {"type": "string", "format": "uri"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same "
        "Idempotency-Key: nothing was written this time.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before the next request.",
        "schema": {"type": "integer", "minimum": 0},
    },
}
# Money and counts a serializer refuses below zero: a decimal string without a minus sign.
UNSIGNED_DECIMAL = r"^\d{0,%d}(?:\.\d{0,%d})?$"
# A string DRF trims and then refuses when empty, or when it holds a NUL character.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


class AutoSchema(BaseAutoSchema):
    def _operation_kind(self) -> str:
        if self.method == "GET":
            return "list" if self._is_list_view() else "retrieve"
        if self._is_create_operation():
            return "create"
        return {"PUT": "update", "PATCH": "update", "DELETE": "destroy"}.get(self.method, "other")

    def _problem_codes(self) -> tuple[str, ...]:
        codes = PROBLEMS[self._operation_kind()]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += BODY_PROBLEMS
        if self.method == "POST":
            codes += POST_PROBLEMS
        return codes

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._problem_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]  # drf-spectacular leaves it untyped
                    ProblemSerializer, code, media_types=[PROBLEM_MEDIA_TYPE]
                )
        responses.setdefault("414", dict(URI_TOO_LONG))
        return responses

    def get_response_serializers(self) -> Any:
        # A write reads the input serializer and answers with the output one.
        output = getattr(self.view, "output_serializer_class", None)
        if output is not None and self.method in ("POST", "PUT", "PATCH"):
            return output
        return super().get_response_serializers()

    def _response_headers(self, status_code: str) -> dict[str, dict[str, str]]:
        code = int(status_code)
        names = []
        if code == 429:
            names.append("Retry-After")
        if 200 <= code < 300 and self.method == "GET" and not self._is_list_view():
            if getattr(self.view, "sends_etag", False):
                names.append("ETag")
        if 200 <= code < 300 and self.method in ("POST", "PUT", "PATCH"):
            if getattr(self.view, "sends_etag", False):
                names.append("ETag")
            if code == 201:
                names.append("Location")
        if 200 <= code < 300 and self.method == "POST":
            names.append("Idempotent-Replayed")
        return {name: {"$ref": f"#/components/headers/{name}"} for name in names}

    def _get_response_headers_for_code(
        self, status_code: str, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        headers = super()._get_response_headers_for_code(status_code, direction)
        return {**self._response_headers(status_code), **headers}

    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._resolve_path_parameters(variables)  # type: ignore[no-untyped-call]  # drf-spectacular leaves it untyped
        for parameter in parameters:
            # A numeric id is an integer in the path as in every body, whatever the route's regex.
            if parameter["schema"].get("pattern") == "^[0-9]+$":
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters

    def _map_serializer(
        self,
        serializer: serializers.BaseSerializer[Any],
        direction: Literal["request", "response"],
        bypass_extensions: bool = False,
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer(serializer, direction, bypass_extensions)  # type: ignore[no-untyped-call]  # drf-spectacular leaves it untyped
        if direction == "request" and isinstance(serializer, StrictInputMixin):
            # Unknown fields are refused (StrictInputMixin), so the schema allows none.
            schema["additionalProperties"] = False
        return schema

    def _map_serializer_field(
        self,
        field: serializers.Field[Any, Any, Any, Any],
        direction: Literal["request", "response"],
        bypass_extensions: bool = False,
    ) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)  # type: ignore[no-untyped-call]  # drf-spectacular leaves it untyped
        if direction != "request" or field.read_only:
            return schema
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            if field.min_value is not None and field.min_value >= 0:
                # DRF and Django both make a decimal field name its digits and decimal places.
                assert field.max_digits is not None and field.decimal_places is not None
                whole = field.max_digits - field.decimal_places
                schema["pattern"] = UNSIGNED_DECIMAL % (whole, field.decimal_places)
        elif (
            isinstance(field, serializers.CharField)
            and not field.allow_blank
            and schema.get("type") == "string"
            and "pattern" not in schema
            and "enum" not in schema
            and "format" not in schema
        ):
            schema["pattern"] = NOT_BLANK
            schema.setdefault("minLength", 1)
        return schema

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        paginator = self._get_paginator()  # type: ignore[no-untyped-call]  # drf-spectacular leaves it untyped
        # The paginator refuses an empty page, page size or cursor; the rest read it as absent.
        paging = {
            getattr(paginator, name, None)
            for name in ("page_query_param", "page_size_query_param", "cursor_query_param")
        }
        for parameter in (operation or {}).get("parameters", ()):
            if parameter["in"] != "query" or parameter.get("required"):
                continue
            if parameter["name"] not in paging:
                # DRF reads an optional query field sent empty as not sent at all.
                parameter["allowEmptyValue"] = True
                schema = parameter["schema"]
                if schema.get("pattern") == NOT_BLANK:
                    del schema["pattern"]
                if schema.get("minLength") == 1:
                    del schema["minLength"]
        capability = getattr(self.view, "required_capability", None)
        if operation is not None and capability and self.method not in permissions.SAFE_METHODS:
            # The docs say which capability each write needs; the 403 names it too.
            needs = f"A partner key needs the capability `{capability}`."
            described = operation.get("description")
            operation["description"] = f"{described}\n\n{needs}" if described else needs
        return operation

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        # Anonymous callers read public data: on a read, credentials are optional.
        if self.method in permissions.SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths


# What a client can do next with a record it just wrote (OpenAPI links): operation, status,
# and the operations that take the new record's id.
LINKS = {
    ("updates_create", "201"): (
        "updates_retrieve",
        "updates_update",
        "updates_partial_update",
        "updates_destroy",
    ),
    ("medical_items_claim_create", "201"): (
        "medical_claims_retrieve",
        "medical_claims_reports_create",
        "medical_claims_reports_list",
        "medical_claims_deliver_create",
    ),
    ("funding_entries_create", "201"): (
        "funding_entries_retrieve",
        "funding_entries_reverse_create",
    ),
    ("education_results_create", "201"): ("education_results_retrieve",),
}
# The record's ETag goes with it to the operations that need If-Match.
NEEDS_IF_MATCH = {"updates_update", "updates_partial_update", "updates_destroy"}


def _link(operation_id: str) -> dict[str, Any]:
    link: dict[str, Any] = {
        "operationId": operation_id,
        "parameters": {"path.id": "$response.body#/id"},
    }
    if operation_id in NEEDS_IF_MATCH:
        link["parameters"]["header.If-Match"] = "$response.header.ETag"
    return link


def add_components(
    result: dict[str, Any], generator: "SchemaGenerator", request: "Request | None", public: bool
) -> dict[str, Any]:
    """The response headers that answers refer to, described once, and the links from a
    record's creation to what can be done with it next."""
    result.setdefault("components", {})["headers"] = HEADERS
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for status_code, response in operation.get("responses", {}).items():
                targets = LINKS.get((operation.get("operationId"), status_code), ())
                if targets:
                    response["links"] = {target: _link(target) for target in targets}
    return result


# drf-spectacular registers each extension in its untyped __init_subclass__.
class FilterExtension(DjangoFilterExtension):  # type: ignore[no-untyped-call]  # see above
    """django-filter's parameters, with a whole-number filter typed as an integer within its
    bounds (the filter refuses anything else with a 400) and a choice of words as a string."""

    priority = 1

    def resolve_filter_field(
        self,
        auto_schema: BaseAutoSchema,
        model: "type[Model]",
        filterset_class: Any,
        field_name: str,
        filter_field: Any,
    ) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().resolve_filter_field(  # type: ignore[no-untyped-call]  # drf-spectacular leaves it untyped
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if isinstance(filter_field, WholeNumberFilter):
            bounds = {
                keyword: filter_field.extra[name]
                for name, keyword in (("min_value", "minimum"), ("max_value", "maximum"))
                if filter_field.extra.get(name) is not None
            }
            for parameter in parameters:
                parameter["schema"] = {"type": "integer", **bounds}
        for parameter in parameters:
            schema = parameter["schema"]
            enum = [value for value in schema.get("enum", ()) if value != ""]
            if enum and all(isinstance(value, str) for value in enum):
                # A choice of words (`true`/`false` too) is a string whatever the model field.
                parameter["schema"] = {**schema, "type": "string", "enum": enum}
        return parameters


# As above: registered in drf-spectacular's untyped __init_subclass__.
class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # see above
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "partnerKey"

    def get_security_definition(self, auto_schema: BaseAutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A partner organisation's API key: `Authorization: Bearer ap_…`. Staff create and "
                "revoke keys in the admin or with `manage.py create_api_key`."
            ),
        }


# As above: registered in drf-spectacular's untyped __init_subclass__.
class StaffSessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # see above
    target_class = "api.authentication.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: BaseAutoSchema) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": (
                "A staff member's admin session, once the sign-in is complete: staff who must "
                "confirm a second factor are refused until they have entered their code."
            ),
        }


PRINTABLE = r"[\x21-\x7e\xa1-\xac\xae-\xff]"
PRINTABLE_OR_SPACE = r"[\x20-\x7e\xa1-\xac\xae-\xff]"
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    # As api.idempotency checks it: 1 to 255 printable characters (Latin-1 on the wire), and
    # HTTP drops spaces at either end.
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": rf"^{PRINTABLE}(?:{PRINTABLE_OR_SPACE}*{PRINTABLE})?$",
    },
    description=(
        "A unique value per intended write (a UUID). A retry with the same key and body returns "
        "the first answer and writes nothing; the same key with another body is a 422; a retry "
        "while the first is still running is a 409. Kept at least 24 hours."
    ),
)
IF_MATCH_PARAMETER = OpenApiParameter(
    name="If-Match",
    location=OpenApiParameter.HEADER,
    required=True,
    type=str,
    description="The ETag of your last read; 412 if the record has changed since, 428 if missing.",
)
IF_MATCH_OPTIONAL_PARAMETER = OpenApiParameter(
    name="If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    type=str,
    description="Optional: the ETag from your last read; 412 if the record has changed since.",
)
