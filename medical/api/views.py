"""The 揭榜援藏 partner API. Thin: reads come from `medical.selectors`, writes go through
`medical.services`.

Who may claim: a key with `medical:claim` of the programme's donor organisation or any
organisation under it (`services.check_claimant`), the list's issuer aside. A key reports on,
delivers and reads the private parts of its own organisation's claims only; another
organisation's claim is not found (404) there.
"""

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.callers import Caller, caller_of
from api.capabilities import MEDICAL_CLAIM
from api.pagination import CountedRows
from api.schema import IDEMPOTENCY_KEY_PARAMETER, PROBLEM_MEDIA_TYPE, ProblemSerializer
from api.viewsets import PartnerWriteMixin
from core.rest import RequestLanguageMixin
from medical import selectors, services
from medical.api.filters import CallItemFilter, CallListFilter, ClaimFilter
from medical.api.serializers import (
    CLAIM_COLUMNS,
    CLAIMANT_COLUMNS,
    ITEM_COLUMNS,
    LIST_COLUMNS,
    SCORING_RULE,
    CallItemSerializer,
    CallListSerializer,
    ClaimInputSerializer,
    ClaimSerializer,
    DeliverInputSerializer,
    LeaderboardQuerySerializer,
    LeaderboardSerializer,
    OutreachSerializer,
    ProgrammeQuerySerializer,
    ReportInputSerializer,
    ReportSerializer,
    call_list_rows,
    item_list_rows,
    public_claim_rows,
)
from medical.models import ProgressReport, Verification

CURRENCY = "CNY"
PROGRAMME_PARAMETER = OpenApiParameter(
    name="programme",
    type=str,
    required=False,
    description="Programme code; the default programme (as on the home page) if absent. "
    "An unknown code is a 404.",
)
BAD_QUERY = {(400, PROBLEM_MEDIA_TYPE): ProblemSerializer}


def _programme_code(request) -> str | None:
    code = request.query_params.get("programme")
    if code is not None and (len(code) > 40 or not code.isprintable()):
        raise exceptions.NotFound()
    return code


def _programme(request):
    code = _programme_code(request)
    programme = selectors.programme_or_default(code)
    if code and programme is None:
        raise exceptions.NotFound()
    return programme


# Claims are made, reported and delivered by the claiming institution itself, never by staff.
KEYS_ONLY = gettext_lazy(
    "Claims are made and reported with the claiming institution's partner key."
)


if TYPE_CHECKING:
    _ViewSet = viewsets.GenericViewSet[Any]
else:
    _ViewSet = object  # the viewsets that use the mixins bring GenericViewSet


class ProgrammeScopedMixin(_ViewSet):
    """Lists are per programme (`?programme=`); a single record is found by id alone."""

    def programme(self):
        """The list's programme to filter by (selectors.programme_query): a named one, the
        default, or None for a single record."""
        # Generating the schema builds the queryset without a request to answer: no query.
        if getattr(self, "swagger_fake_view", False) or self.action != "list":
            return None
        code = _programme_code(self.request)
        programme = selectors.programme_query(code)
        if code and programme is None:
            raise exceptions.NotFound()
        return programme


@extend_schema_view(
    list=extend_schema(
        parameters=[PROGRAMME_PARAMETER],
        description="Open-call lists (榜单), by batch. Anyone reads published and closed lists; "
        "staff who may view lists also drafts.",
    ),
)
class CallListViewSet(ProgrammeScopedMixin, RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = CallListSerializer
    filterset_class = CallListFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.visible_lists(caller_of(self.request), programme=self.programme())

    def list(self, request, *args, **kwargs):
        # Columns, not model instances (three per row): the same answer as the serializer's.
        lists = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(CountedRows(lists, LIST_COLUMNS))
        serializer = self.get_serializer()
        assert page is not None and isinstance(serializer, CallListSerializer)
        return self.get_paginated_response(call_list_rows(page, serializer))


@extend_schema_view(
    list=extend_schema(
        parameters=[PROGRAMME_PARAMETER],
        description="Items (榜单项) of the published lists, with their status and who holds a "
        "claim on each. Filter by list, batch, status and category: `?status=open` finds what "
        "can still be claimed.",
    ),
)
class CallItemViewSet(
    ProgrammeScopedMixin, RequestLanguageMixin, PartnerWriteMixin, viewsets.ReadOnlyModelViewSet
):
    serializer_class = CallItemSerializer
    filterset_class = CallItemFilter
    lookup_value_regex = "[0-9]+"
    keys_only = KEYS_ONLY

    @property
    def required_capability(self) -> str | None:  # type: ignore[override]  # chosen per action
        return MEDICAL_CLAIM if self.action == "claim" else None

    def location_of(self, claim) -> str:
        return self.request.build_absolute_uri(f"/api/v1/medical/claims/{claim.pk}/")

    def get_queryset(self):
        return selectors.visible_items(self.caller, programme=self.programme())

    def get_serializer_class(self):
        return ClaimInputSerializer if self.action == "claim" else CallItemSerializer

    def list(self, request, *args, **kwargs):
        # Columns, not model instances (three per item, two per claimant): the same answer as
        # the serializer's (item_list_rows).
        items = self.filter_queryset(self.get_queryset()).prefetch_related(None)
        page = self.paginate_queryset(CountedRows(items, ITEM_COLUMNS))
        assert page is not None
        ids = [row["id"] for row in page]
        claimants = selectors.holding_claims_on(ids).values(*CLAIMANT_COLUMNS) if ids else []
        serializer = self.get_serializer()
        assert isinstance(serializer, CallItemSerializer)
        return self.get_paginated_response(item_list_rows(page, claimants, serializer))

    @extend_schema(
        request=ClaimInputSerializer,
        responses={201: ClaimSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description=(
            "Claim (揭榜) a place on the item for your organisation, with a `medical:claim` "
            "partner "
            "key. Claiming is for the donor side: the programme's donor organisation and every "
            "organisation under it in the parent tree; the list's issuer does not claim its own "
            "items. The list must be published (not closed) and its claim deadline not "
            "past; an item takes at most `max_claimants` claims, one per organisation. A refusal "
            "is a 409 of type `/api/v1/problems/claim-refused` and writes nothing; of many "
            "parallel claims on the last place exactly one succeeds. Send an Idempotency-Key so "
            "a retry never claims twice."
        ),
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, *args, **kwargs):
        return self.partner_write(
            request,
            lambda caller, item, data: services.claim_item(
                item=item,
                organisation=caller.key.organisation,
                pledge=data.get("pledge", ""),
                contact=data.get("contact", ""),
                api_key=caller.key,
            ),
            input_serializer=ClaimInputSerializer,
            target=self.get_object,
            answer=lambda claim: claim_answer(
                claim, caller=self.caller, context=claim_context(self.request, self.caller)
            ),
            location=True,
        )


def claim_queryset(claims, caller: Caller | None = None):
    """Claims with what their answer reads. The reports and verifications, read only in the
    private part, are fetched only for a caller who may read some private part."""
    if caller is not None and not selectors.reads_private_parts(caller):
        return claims
    return claims.prefetch_related(
        Prefetch("reports", queryset=ProgressReport.objects.order_by("date", "id")),
        Prefetch("verifications", queryset=Verification.objects.order_by("verified_at")),
    )


def claim_context(request, caller: Caller) -> dict:
    return {"request": request, "caller": caller}


def claim_answer(claim, *, caller: Caller, context: dict) -> dict:
    """A claim its claimant just wrote, as the claimant reads it."""
    claim = claim_queryset(selectors.claims_of(caller.organisation_id)).get(pk=claim.pk)
    return ClaimSerializer(claim, context=context).data


@extend_schema_view(
    list=extend_schema(
        description="Claims (揭榜). Anyone reads the public part of the claims on published "
        "lists (item, organisation, status, dates); `private` (pledge, contact, progress "
        "reports, verifications) is filled only for the claimant's own key and for staff who "
        "may view claims, and is null for everyone else."
    ),
)
class ClaimViewSet(
    RequestLanguageMixin,
    PartnerWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter
    lookup_value_regex = "[0-9]+"
    keys_only = KEYS_ONLY

    @property
    def required_capability(self) -> str | None:  # type: ignore[override]  # chosen per action
        return MEDICAL_CLAIM if self.action in ("reports", "deliver") else None

    def get_queryset(self):
        caller = self.caller
        if self.action in ("list", "retrieve"):
            claims = selectors.visible_claims(caller)
        elif self.request.method == "GET":
            claims = selectors.claims_reported_to(caller)
        else:
            # Reports and deliveries: the caller's own claims, nobody else's (404).
            claims = selectors.claims_of(caller.organisation_id)
        return claim_queryset(claims, caller)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), **claim_context(self.request, self.caller)}

    def list(self, request, *args, **kwargs):
        if selectors.reads_private_parts(self.caller):
            # Some claims' private parts, with their reports and verifications: instances.
            return super().list(request, *args, **kwargs)
        # Columns, not model instances (four per claim): the same answer as the serializer's.
        claims = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(CountedRows(claims, CLAIM_COLUMNS))
        serializer = self.get_serializer()
        assert page is not None and isinstance(serializer, ClaimSerializer)
        return self.get_paginated_response(public_claim_rows(page, serializer))

    def get_serializer_class(self):
        if self.action == "deliver":
            return DeliverInputSerializer
        if self.action == "reports":
            return ReportInputSerializer if self.request.method == "POST" else ReportSerializer
        return ClaimSerializer

    @extend_schema(
        methods=["GET"],
        responses={200: ReportSerializer(many=True)},
        description="Progress reports on a claim: the claimant's key and staff who may view "
        "claims only; anyone else gets a 404.",
    )
    @extend_schema(
        methods=["POST"],
        request=ReportInputSerializer,
        responses={201: ReportSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Report progress on your organisation's claim (`medical:claim` key). The claim "
        "must be active or returned (409 `/api/v1/problems/invalid-transition` otherwise); the "
        "item's work starts with the first report. Attachments are links (URLs). Another "
        "organisation's claim is a 404.",
    )
    # A claim's reports are few and read whole: one bare list, neither paged nor filtered.
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def reports(self, request, *args, **kwargs):
        if request.method == "GET":
            claim = self.get_object()
            return Response(ReportSerializer(claim.reports.all(), many=True).data)
        return self.partner_write(
            request,
            lambda caller, claim, data: services.add_report(
                claim=claim,
                date=data["date"],
                text=data["text"],
                attachments=data.get("attachments", []),
                api_key=caller.key,
            ),
            input_serializer=ReportInputSerializer,
            target=self.get_object,
            answer=lambda report: ReportSerializer(report).data,
        )

    @extend_schema(
        request=DeliverInputSerializer,
        responses={200: ClaimSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Deliver your organisation's claim (`medical:claim` key): the work is done and "
        "waits for staff to verify it. The claim must be active or returned (409 "
        "`/api/v1/problems/invalid-transition` otherwise). Another organisation's claim is a "
        "404. Delivered on or before the due date counts as on time in the scoring rule.",
    )
    @action(detail=True, methods=["post"])
    def deliver(self, request, *args, **kwargs):
        return self.partner_write(
            request,
            lambda caller, claim, data: services.deliver_claim(
                claim=claim,
                on=data.get("delivered_on"),
                summary=data.get("summary", ""),
                api_key=caller.key,
            ),
            action="update",
            input_serializer=DeliverInputSerializer,
            target=self.get_object,
            answer=lambda claim: claim_answer(
                claim, caller=self.caller, context=self.get_serializer_context()
            ),
            status_code=status.HTTP_200_OK,
        )


class MedicalFiguresViewSet(RequestLanguageMixin, viewsets.ViewSet):
    """The leaderboard and medical outreach figures, per programme."""

    @extend_schema(
        parameters=[LeaderboardQuerySerializer],
        responses={200: LeaderboardSerializer, **BAD_QUERY},
        operation_id="medical_leaderboard",
        description="The ranking (排名) of claiming organisations, for one batch (`?list=`) or "
        "all batches together. " + SCORING_RULE,
    )
    @action(detail=False, methods=["get"])
    def leaderboard(self, request):
        query = LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        programme = _programme(request)
        if programme is None:
            raise exceptions.NotFound()
        list_id = query.validated_data.get("list")
        call_list, taken_at, frozen = None, None, False
        if list_id is not None:
            call_list = selectors.public_lists(programme).filter(pk=list_id).first()
            if call_list is None:
                raise exceptions.NotFound()
            rows = selectors.batch_leaderboard(call_list)
            frozen = selectors.is_frozen(call_list)
            taken_at = call_list.snapshot.taken_at if frozen else None
        else:
            rows = selectors.overall_leaderboard(programme)
        lists = [call_list] if call_list else selectors.public_lists(programme)
        data = {
            "programme": programme.code,
            "list": call_list.pk if call_list else None,
            "frozen": frozen,
            "taken_at": taken_at,
            "illustrative": any(each.illustrative for each in lists),
            "scoring_rule": SCORING_RULE,
            "rows": rows,
        }
        return Response(LeaderboardSerializer(data).data)

    @extend_schema(
        parameters=[ProgrammeQuerySerializer],
        responses={200: OutreachSerializer, **BAD_QUERY},
        operation_id="medical_outreach",
        description="Medical outreach: free clinics (义诊) and the people they served (as the "
        "source reports it while the clinic records are illustrative), the "
        "抬头挺胸 charity batches (patients, funds in CNY, conditions: spine, knee, hip) and the "
        "district hospitals' firsts. Values no source states are flagged `illustrative`.",
    )
    @action(detail=False, methods=["get"])
    def outreach(self, request):
        query = ProgrammeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        programme = _programme(request)
        if programme is None:
            raise exceptions.NotFound()
        figures = selectors.outreach(programme)
        reported = figures["people_figure"]
        if reported is not None:
            people_served = {
                "value": int(reported.value),
                "qualifier": reported.qualifier,
                "basis": "reported",
                "source": {"zh-hans": reported.source_zh_hans, "en": reported.source_en or ""},
                "as_of": reported.as_of,
            }
        else:
            people_served = {
                "value": figures["people_served"],
                "qualifier": "",
                "basis": "recorded",
                "source": None,
                "as_of": None,
            }
        data = {
            "programme": programme.code,
            "currency": CURRENCY,
            "people_served": people_served,
            "people_served_recorded": figures["people_served"],
            **{
                name: figures[name]
                for name in (
                    "clinic_count",
                    "charity_count",
                    "charity_patients",
                    "charity_funds",
                    "clinics",
                    "charity_batches",
                    "firsts",
                )
            },
        }
        return Response(OutreachSerializer(data).data)
