"""OpenAPI: the bearer scheme, and the problem+json answers every operation can give."""

from typing import Any, Literal

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers

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


class AutoSchema(BaseAutoSchema):
    def _operation_kind(self) -> str:
        if self.method == "GET":
            return "list" if self._is_list_view() else "retrieve"
        if self._is_create_operation():
            return "create"
        return {"PUT": "update", "PATCH": "update", "DELETE": "destroy"}.get(self.method, "other")

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in PROBLEMS[self._operation_kind()]:
            if code not in responses:
                # drf-spectacular leaves this method untyped.
                responses[code] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    ProblemSerializer, code, media_types=[PROBLEM_MEDIA_TYPE]
                )
        return responses

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
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


# drf-spectacular registers each extension in its untyped __init_subclass__.
class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
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
class StaffSessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
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


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    type=str,
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
