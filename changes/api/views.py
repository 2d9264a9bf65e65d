import base64
import binascii

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, viewsets
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.callers import Caller, caller_of
from api.capabilities import WEBHOOKS_MANAGE
from api.pagination import StrictPageSize
from api.schema import AutoSchema
from api.viewsets import PartnerWritableViewSet
from changes import selectors, services
from changes.api.serializers import (
    ChangesPageSerializer,
    EventSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
)
from core.rest import RequestLanguageMixin

PREFIX = "p"


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"{PREFIX}{position}".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> int:
    try:
        plain = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        plain = ""
    number = plain.removeprefix(PREFIX)
    if not plain.startswith(PREFIX) or not number.isascii() or not number.isdigit():
        raise exceptions.ValidationError(
            {"after": [_("This cursor is not one the API gave out: pass a cursor as it is.")]}
        )
    return int(number)


class FeedSchema(AutoSchema):
    """The feed's list answers one page object (results and the next cursor), not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False

    def _operation_kind(self) -> str:
        return "list"


class FeedPageSize(StrictPageSize):
    page_size = 100
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(
        operation_id="changes_list",
        parameters=[
            OpenApiParameter(
                "after",
                str,
                description="A cursor from an earlier answer (`next_cursor` or an event's "
                "`cursor`); without it the feed starts at its first event.",
            ),
            OpenApiParameter(
                "page_size", int, description="Events per page, from 1 to 500 (100 by default)."
            ),
        ],
        responses=ChangesPageSerializer,
        description=(
            "Every create, update, publication (`.published`), withdrawal (`.withdrawn`) and "
            "deletion of a public record, every posted ledger entry "
            "(`ledger_entry.posted`) and results release (`results_release.posted`), and each "
            "step of a medical claim (`medical_claim.created`, `medical_claim.updated`), in "
            "the order the changes were committed, with the "
            "fields that changed. Anyone reads the public events; a partner key also its "
            "own organisation's private ones (its unpublished projects and updates, its claims' "
            "progress reports...). "
            "Page with `?after=<next_cursor>`: a cursor never skips an event committed later. "
            "The same events are delivered to webhooks (`webhooks/`)."
        ),
    )
)
class ChangeFeedViewSet(RequestLanguageMixin, viewsets.GenericViewSet):
    """The change feed: what changed, in commit order, from a cursor on."""

    serializer_class = EventSerializer
    schema = FeedSchema()
    pagination_class = None
    filter_backends = []

    def list(self, request):
        text = request.query_params.get("after")
        after = decode_cursor(text) if text else 0
        size = FeedPageSize().get_page_size(request)
        caller = caller_of(request)
        events = list(selectors.events_for(caller=caller, after=after)[: size + 1])
        has_more = len(events) > size
        events = events[:size]
        # The feed serves committed events only, and those have a position.
        cursor = encode_cursor(events[-1].position if events else after)  # type: ignore[arg-type]
        return Response(
            {
                "results": EventSerializer(
                    events, many=True, context=self.get_serializer_context()
                ).data,
                "next_cursor": cursor,
                "next": replace_query_param(request.build_absolute_uri(), "after", cursor),
                "has_more": has_more,
            }
        )


class WebhookEndpointViewSet(PartnerWritableViewSet):
    """An organisation's webhook endpoints: where the change feed's events it may read are
    delivered, signed per the Standard Webhooks specification with the endpoint's secret."""

    required_capability = WEBHOOKS_MANAGE
    input_serializer_class = WebhookEndpointInputSerializer
    output_serializer_class = WebhookEndpointSerializer
    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def check_permissions(self, request):
        super().check_permissions(request)
        # Endpoints and their secrets are an organisation's own: nobody reads them anonymously.
        if self.caller.is_anonymous:
            raise exceptions.NotAuthenticated()

    def visible_queryset(self, caller: Caller):
        return selectors.endpoints_for(caller=caller)

    def writable_queryset(self, caller: Caller):
        return selectors.endpoints_for(caller=caller)

    @extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        description="Register an endpoint for the key's organisation (`webhooks:manage`). "
        "The answer gives the signing `secret`, once. Events recorded from now on are "
        "delivered, in order, at least once; `webhook-id` is the same on every attempt.",
    )
    def create(self, request, *args, **kwargs):
        if self.caller.key is None:
            raise exceptions.PermissionDenied(
                _("Staff register endpoints for an organisation in the admin.")
            )
        return self.partner_write(
            request,
            lambda caller, data: services.register_endpoint(
                organisation=caller.key.organisation, **data
            ),
            input_serializer=self.input_serializer_class,
            answer=lambda endpoint: WebhookEndpointCreatedSerializer(endpoint).data,
            location=True,
        )

    def perform_change(self, caller: Caller, instance, data: dict):
        return services.change_endpoint(endpoint=instance, **data)

    def perform_withdraw(self, caller: Caller, instance) -> None:
        services.remove_endpoint(endpoint=instance)

    @extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={200: WebhookEndpointSerializer},
        description="Change an endpoint's address or event types (If-Match with its ETag).",
    )
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(responses={204: None}, description="Delete an endpoint and its delivery log.")
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)
