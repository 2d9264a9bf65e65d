import datetime
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Q, Subquery
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, pagination, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.callers import Caller, caller_of
from api.capabilities import FUNDING_ENTRIES
from api.pagination import CountedRows, CursorPagination
from api.schema import IDEMPOTENCY_KEY_PARAMETER, PROBLEM_MEDIA_TYPE, ProblemSerializer
from api.viewsets import PartnerWriteMixin
from core.rest import RequestLanguageMixin
from funding import selectors, services
from funding.api.filters import DonationFilter, LedgerEntryFilter
from funding.api.serializers import (
    CURRENCY,
    DONATION_COLUMNS,
    DonationSerializer,
    DonationTotalsSerializer,
    FundingSummarySerializer,
    LedgerEntryInputSerializer,
    LedgerEntryOutputSerializer,
    ReversalInputSerializer,
    SummaryQuerySerializer,
    donation_list_rows,
    entry_list_rows,
)
from funding.models import LedgerEntry

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class LedgerCursorPagination(CursorPagination):
    """Keyset pages over (date, id), newest first. The cursor holds the (date, id) of the row a
    page ends on, so the deepest page starts with an index seek as the first does: no OFFSET and
    no COUNT(*). Entries never change, so a page once read stays true."""

    ordering = ("-date", "-id")
    page_size = 50
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        backwards = bool(self.cursor and self.cursor.reverse)
        # DRF's cursors carry the position as text; the stubs say int.
        position = self._position(self.cursor.position) if self.cursor else None  # type: ignore[arg-type]
        if position is not None:
            date, pk = position
            # The redundant bound on `date` lets PostgreSQL seek the (date, id) index.
            if backwards:
                queryset = queryset.filter(Q(date__gte=date), Q(date__gt=date) | Q(id__gt=pk))
            else:
                queryset = queryset.filter(Q(date__lte=date), Q(date__lt=date) | Q(id__lt=pk))
        queryset = queryset.order_by(*(("date", "id") if backwards else self.ordering))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[: self.page_size]
        if backwards:
            self.page.reverse()
        self.has_next = more if not backwards else position is not None
        self.has_previous = position is not None if not backwards else more
        return self.page

    def _position(self, text: str | None) -> tuple[datetime.date, int] | None:
        if text is None:
            return None
        try:
            date, pk = text.split("_")
            return datetime.date.fromisoformat(date), int(pk)
        except ValueError:
            self.invalid_cursor()

    def _link(self, entry: dict | None, *, reverse: bool) -> str:
        # A page's rows are columns (ENTRY_VALUES). Without one the page is empty and was reached
        # by a cursor; positions are text.
        position = f"{entry['date'].isoformat()}_{entry['id']}" if entry else self.cursor.position  # type: ignore[union-attr]
        return self.encode_cursor(pagination.Cursor(offset=0, reverse=reverse, position=position))  # type: ignore[arg-type]

    def get_next_link(self):
        if not self.has_next:
            return None
        return self._link(self.page[-1] if self.page else None, reverse=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        return self._link(self.page[0] if self.page else None, reverse=True)


# What a row prints: the related rows the selector joins are read for these columns only.
ENTRY_COLUMNS = (
    *(
        field.name
        for field in LedgerEntry._meta.concrete_fields
        if field.name not in {"recorded_by", "recorded_by_key"}
    ),
    "project__code",
    "provider__code",
    "receiver__code",
    "reverses__id",
    "approval__approved_at",
)


def with_reversal(entries):
    """Entries with `reversal_id`, the id of the entry that reverses each. A subquery rather than
    one more join: every join multiplies the planner's work on a query already six tables wide."""
    reversals = LedgerEntry.objects.filter(reverses=OuterRef("pk")).values("pk")[:1]
    return entries.annotate(reversal_id=Subquery(reversals)).only(*ENTRY_COLUMNS)


# What a list row reads, as columns (entry_list_rows): the entry's own, the annotations of
# `selectors.entries` and `with_reversal`, and the one column each joined row contributes.
ENTRY_VALUES = (
    "id",
    "date",
    "type",
    "amount",
    "currency",
    "voucher",
    "reason",
    "beyond_arrivals",
    "needs_approval",
    "recorded_at",
    "reverses_id",
    "reversal_id",
    "shown_note",
    "project__code",
    "provider__code",
    "receiver__code",
    "approval__id",
    "approval__approved_at",
)


# A summary is not a list, but its filters can still be wrong.
BAD_QUERY = {(400, PROBLEM_MEDIA_TYPE): ProblemSerializer}


@extend_schema_view(
    list=extend_schema(
        description=(
            "Ledger entries (资金台账), newest date first, in cursor pages. Anyone reads the "
            "entries of published projects; a partner key also those of the projects its "
            "organisation takes part in; staff who may view entries read them all."
        )
    ),
    create=extend_schema(
        responses={201: LedgerEntryOutputSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description=(
            "Post an entry. Finance staff (`funding.add_ledgerentry`) post to any project; a "
            "partner key granted `funding:entries`, to the projects its organisation takes part "
            "in. "
            "A disbursement that would take a project's disbursements beyond its funds arrived "
            "is refused with a 409 of type `/api/v1/problems/beyond-arrivals`, and nothing is "
            "written. Send an Idempotency-Key so a retry never posts twice."
        ),
    ),
)
class LedgerEntryViewSet(
    RequestLanguageMixin,
    PartnerWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Ledger entries are append-only: they are never changed or deleted (PUT, PATCH and DELETE
    are 405); a mistake is corrected by a reversal."""

    filterset_class = LedgerEntryFilter
    pagination_class = LedgerCursorPagination
    lookup_value_regex = "[0-9]+"

    @property
    def required_capability(self) -> str | None:  # type: ignore[override]  # chosen per action
        # Partners post entries; reversing one is for finance staff.
        return FUNDING_ENTRIES if self.action == "create" else None

    def visible_queryset(self, caller: Caller):
        return with_reversal(selectors.entries_visible_to(caller))

    def get_queryset(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return self.visible_queryset(self.caller)
        # Only finance staff get past the permission check to reverse an entry.
        return selectors.entries(public=False)

    def list(self, request, *args, **kwargs):
        # Columns, not model instances (four per row): the same answer as the serializer's.
        entries = self.filter_queryset(self.get_queryset()).values(*ENTRY_VALUES)
        page = self.paginate_queryset(entries)
        serializer = self.get_serializer()
        assert page is not None and isinstance(serializer, LedgerEntryOutputSerializer)
        return self.get_paginated_response(entry_list_rows(page, serializer))

    def get_serializer_class(self):
        if self.action == "create":
            return LedgerEntryInputSerializer
        if self.action == "reverse":
            return ReversalInputSerializer
        return LedgerEntryOutputSerializer

    def _answer(self, entry: LedgerEntry):
        entry = with_reversal(selectors.entries_noted_for(self.caller)).get(pk=entry.pk)
        return LedgerEntryOutputSerializer(entry, context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs):
        return self.partner_write(
            request,
            self._record,
            input_serializer=LedgerEntryInputSerializer,
            answer=self._answer,
            location=True,
            # The service names the model's `reason`; this API calls it beyond_arrivals_reason.
            field_names={"reason": "beyond_arrivals_reason"},
        )

    def _record(self, caller: Caller, data: dict) -> LedgerEntry:
        return services.record_entry(
            project=data["project"],
            type=data["type"],
            date=data["date"],
            amount=data["amount"],
            provider=data.get("provider"),
            receiver=data.get("receiver"),
            voucher=data.get("voucher", ""),
            note=data.get("note", ""),
            beyond_arrivals_reason=data.get("beyond_arrivals_reason", ""),
            beyond_plan_reason=data.get("beyond_plan_reason", ""),
            recorded_by=caller.user,
            recorded_by_key=caller.key,
        )

    @extend_schema(
        responses={
            201: LedgerEntryOutputSerializer,
            (415, PROBLEM_MEDIA_TYPE): ProblemSerializer,
            (422, PROBLEM_MEDIA_TYPE): ProblemSerializer,
        },
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description=(
            "Cancel an entry with a reversal that points to it, giving a reason; the original "
            "stays. Finance staff (`funding.add_ledgerentry`) only. An entry already reversed, "
            "or a reversal, is a 409; reversing an arrival that later disbursements rely on is "
            "a 409 of type `/api/v1/problems/beyond-arrivals`."
        ),
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, *args, **kwargs):
        return self.partner_write(
            request,
            lambda caller, entry, data: services.reverse_entry(
                entry=entry, reason=data["reason"], recorded_by=caller.user
            ),
            input_serializer=ReversalInputSerializer,
            target=self.get_object,
            answer=self._answer,
            location=True,
        )


def _policy_shares(shares: selectors.PolicyShares) -> dict:
    def one(part: str, definition: "StrOrPromise") -> dict:
        return {
            "definition": str(definition),
            "expected": shares.expected,
            "planned": getattr(shares.overall, f"{part}_planned").rate,
            "disbursed": getattr(shares.overall, f"{part}_disbursed").rate,
            "by_period": [
                {
                    "period": row.key,
                    "planned": getattr(row, f"{part}_planned").rate,
                    "disbursed": getattr(row, f"{part}_disbursed").rate,
                }
                for row in shares.by_period
            ],
            "by_year": [
                {
                    "year": row.key,
                    "due": getattr(row, f"{part}_planned").rate,
                    "disbursed": getattr(row, f"{part}_disbursed").rate,
                }
                for row in shares.by_year
            ],
        }

    return {
        "grassroots_share": {
            **one("grassroots", selectors.GRASSROOTS_DEFINITION),
            "all_grassroots": shares.all_grassroots,
        },
        "livelihood_share": one("livelihood", selectors.LIVELIHOOD_DEFINITION),
    }


class FundingSummaryViewSet(RequestLanguageMixin, viewsets.ViewSet):
    """Funding figures: planned, arrived (到位), disbursed (拨付), spent and the rates."""

    @extend_schema(
        parameters=[SummaryQuerySerializer],
        responses={200: FundingSummarySerializer, **BAD_QUERY},
        operation_id="funding_summary",
        description=(
            "Funding figures over the projects the filters select, from the running totals the "
            "ledger keeps. Anyone gets published projects' figures; a partner key also its "
            "own projects'; staff who may view entries, every project's. Money is a decimal "
            "string in CNY; rates are exact decimal strings (1 is 100%), null when their "
            "denominator is 0. Arrival rate = arrived ÷ planned; disbursement rate = disbursed ÷ "
            "arrived. `by_year` gives each calendar year's due, arrived, disbursed and spent, "
            "and the payment rate (兑付率): what was disbursed in the year ÷ what was due that "
            "year (the year's budget lines, the revised line where there is one). The payment "
            "rate exceeds 1 (100%) when a year also pays an earlier year's backlog. "
            "`grassroots_share` and `livelihood_share` are the policy figures: the share of the "
            "planned investment and of the funds disbursed going to projects at county level "
            "and below, and to the livelihood field, per plan period and per year, with the "
            "share the programme is expected to reach."
        ),
    )
    @action(detail=False, methods=["get"])
    def summary(self, request):
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        projects = selectors.scope_for(
            caller_of(request),
            programme=filters.get("programme"),
            project=filters.get("project"),
            field=filters.get("field"),
            category=filters.get("category"),
            period=filters.get("period"),
        )
        figures = selectors.totals(projects)
        data = {
            "currency": CURRENCY,
            "planned": figures.planned,
            "committed": figures.committed,
            "arrived": figures.arrived,
            "disbursed": figures.disbursed,
            "spent": figures.spent,
            "awaiting_approval": figures.pending,
            "arrival_rate": figures.arrival_rate,
            "disbursement_rate": figures.disbursement_rate,
            "by_year": [
                {
                    "year": row.year,
                    "due": row.due,
                    "arrived": row.arrived,
                    "disbursed": row.disbursed,
                    "spent": row.spent,
                    "payment_rate": row.payment_rate,
                }
                for row in selectors.by_year(projects, year=filters.get("year"))
            ],
            **_policy_shares(selectors.policy_shares(projects, year=filters.get("year"))),
        }
        return Response(FundingSummarySerializer(data).data)


class DonationViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Donations of money or goods (捐赠), goods at their assessed value, newest first. Anyone
    reads published donations; staff who may view donations read them all."""

    serializer_class = DonationSerializer
    filterset_class = DonationFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.donations_visible_to(caller_of(self.request))

    def list(self, request, *args, **kwargs):
        # Columns, not model instances (five per row): the same answer as the serializer's.
        donations = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(CountedRows(donations, DONATION_COLUMNS))
        serializer = self.get_serializer()
        assert page is not None and isinstance(serializer, DonationSerializer)
        return self.get_paginated_response(donation_list_rows(page, serializer))

    @extend_schema(
        responses={200: DonationTotalsSerializer, **BAD_QUERY},
        filters=True,
        operation_id="funding_donations_summary",
        description=(
            "Totals of the donations the filters select: money, goods at their assessed value, "
            "and goods for students."
        ),
    )
    @action(detail=False, methods=["get"])
    def summary(self, request):
        totals = selectors.donation_totals(self.filter_queryset(self.get_queryset()))
        return Response(DonationTotalsSerializer({"currency": CURRENCY, **totals}).data)
