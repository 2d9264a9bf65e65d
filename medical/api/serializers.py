import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import StrictInputMixin
from core.fields import MONEY_DECIMALS, MONEY_DIGITS
from core.rest import (
    BilingualField,
    BilingualTextSerializer,
    ModelSerializer,
    bilingual,
    bilingual_columns,
    choice_labels,
    label_field,
    translated,
    written,
)
from medical import selectors
from medical.models import CallItem, CallList, Category, Claim, ProgressReport, Verification


def named_choice(choices, component_name: str):
    """A choice field whose enum has its own name in the schema: `status` means a different
    set of values on lists, items and claims."""

    @extend_schema_field(
        {"type": "string", "enum": [value for value, _label in choices]},
        component_name=component_name,
    )
    class NamedChoiceField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=choices, **kwargs)

    return NamedChoiceField


ListStatusField = named_choice(CallList.Status.choices, "MedicalListStatusEnum")
ItemStatusField = named_choice(CallItem.Status.choices, "MedicalItemStatusEnum")
ClaimStatusField = named_choice(Claim.Status.choices, "MedicalClaimStatusEnum")
CategoryField = named_choice(Category.choices, "MedicalCategoryEnum")
OutcomeField = named_choice(Verification.Outcome.choices, "VerificationOutcomeEnum")

SCORING_RULE = (
    "Scoring rule (考核): a claim earns points once staff verify it: base points by the item's "
    "category (treatment 10, training 8, specialty building 12, donation 6, smart medicine 10, "
    "equipment 8, other 5), plus 5 when delivered on or before the item's due date (else the "
    "list's delivery deadline), plus the verification score (0–100) ÷ 10. Per organisation: "
    "items claimed, delivered, verified, on-time rate (on-time deliveries ÷ deliveries) and "
    "points. Ties are broken by points, then verified items, then on-time rate (higher first), "
    "then the earliest last verification, then the organisation code. A closed batch is read "
    "from the snapshot frozen when its list closed; the overall board adds the batches up."
)


class CallListSerializer(ModelSerializer):
    """An open-call list (榜单) of one batch."""

    programme = serializers.CharField(source="programme.code", read_only=True)
    title = BilingualField()
    issuer = serializers.CharField(
        source="issuer.code", read_only=True, help_text="Code of the issuing organisation."
    )
    status = ListStatusField(read_only=True)
    status_label = label_field("status")
    items = serializers.IntegerField(source="item_count", read_only=True)

    class Meta:
        model = CallList
        fields = [
            "id",
            "programme",
            "batch",
            "title",
            "issuer",
            "status",
            "status_label",
            "published_on",
            "claim_deadline",
            "delivery_deadline",
            "closed_on",
            "items",
            "illustrative",
        ]
        read_only_fields = fields


# The columns of a list that the lists list reads (`call_list_rows`); `item_count` is the
# selector's (selectors.visible_lists).
LIST_COLUMNS = (
    "id",
    "programme__code",
    "batch",
    *bilingual_columns("title"),
    "issuer__code",
    "status",
    "published_on",
    "claim_deadline",
    "delivery_deadline",
    "closed_on",
    "item_count",
    "illustrative",
)


def call_list_rows(
    rows: Iterable[Mapping[str, Any]], serializer: CallListSerializer
) -> list[dict[str, Any]]:
    """Rows of LIST_COLUMNS written as the serializer writes lists: the same keys in the same
    order, labels in the request's language, without a model instance per list, programme and
    issuer. tests/api/test_golden.py holds the list to the bytes it had; tests/medical/
    test_api.py holds each row to the list's own page."""
    fields = serializer.fields
    statuses = choice_labels(CallList._meta.get_field("status"))

    def day(name: str, row: Mapping[str, Any]) -> Any:
        return written(fields[name], row[name])

    return [
        {
            "id": row["id"],
            "programme": row["programme__code"],
            "batch": row["batch"],
            "title": bilingual(row, "title"),
            "issuer": row["issuer__code"],
            "status": row["status"],
            "status_label": statuses.get(row["status"], row["status"]),
            "published_on": day("published_on", row),
            "claim_deadline": day("claim_deadline", row),
            "delivery_deadline": day("delivery_deadline", row),
            "closed_on": day("closed_on", row),
            "items": row["item_count"],
            "illustrative": row["illustrative"],
        }
        for row in rows
    ]


class ClaimantSerializer(serializers.Serializer):
    claim = serializers.IntegerField(source="pk")
    organisation = serializers.CharField(source="organisation.code")
    name = serializers.CharField(source="organisation.name")
    status = ClaimStatusField()


class CallItemSerializer(ModelSerializer):
    """An item (榜单项) with who holds a claim on it."""

    list = serializers.IntegerField(source="call_list_id", read_only=True)
    batch = serializers.IntegerField(source="call_list.batch", read_only=True)
    title = BilingualField()
    description = BilingualField()
    deliverables = BilingualField()
    category = CategoryField(read_only=True)
    category_label = label_field("category")
    status = ItemStatusField(read_only=True)
    status_label = label_field("status")
    budget = serializers.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, read_only=True, allow_null=True
    )
    due_on = serializers.SerializerMethodField(
        help_text="The item's due date, else its list's delivery deadline; null when neither."
    )
    places_left = serializers.IntegerField(read_only=True)
    claimants = serializers.SerializerMethodField()

    class Meta:
        model = CallItem
        fields = [
            "id",
            "list",
            "batch",
            "number",
            "title",
            "description",
            "deliverables",
            "category",
            "category_label",
            "budget",
            "due_on",
            "max_claimants",
            "places_left",
            "status",
            "status_label",
            "claimants",
        ]
        read_only_fields = fields

    def get_due_on(self, item: CallItem) -> datetime.date | None:
        return selectors.due_date(item)

    @extend_schema_field(ClaimantSerializer(many=True))
    def get_claimants(self, item: CallItem):
        # One claimants serializer for every row of the answer: a new one per row would copy
        # its fields each time. `holding` is prefetched by selectors.holding_claims().
        claimants = self.__dict__.get("_claimants")
        if claimants is None:
            claimants = self.__dict__["_claimants"] = ClaimantSerializer(many=True)
        return claimants.to_representation(item.holding)  # type: ignore[attr-defined]


# The columns of an item that the items list reads (`item_list_rows`), and of a claim on it.
ITEM_COLUMNS = (
    "id",
    "call_list_id",
    "call_list__batch",
    "number",
    *bilingual_columns("title", "description", "deliverables"),
    "category",
    "budget",
    "due_on",
    "call_list__delivery_deadline",
    "max_claimants",
    "active_claims",
    "status",
)
CLAIMANT_COLUMNS = (
    "id",
    "item_id",
    "organisation__code",
    *bilingual_columns("organisation__name"),
    "status",
)


def item_list_rows(
    rows: Iterable[Mapping[str, Any]],
    claimants: Iterable[Mapping[str, Any]],
    serializer: CallItemSerializer,
) -> list[dict[str, Any]]:
    """Rows of ITEM_COLUMNS, and the holding claims on them (CLAIMANT_COLUMNS, in the order the
    claimants are listed), written as the serializer writes items: the same keys in the same
    order, labels in the request's language, without a model instance per item or claim.
    tests/api/test_golden.py holds the list to the bytes it had; tests/medical/test_api.py holds
    each row to the item's own page."""
    budget = serializer.fields["budget"]
    categories = choice_labels(CallItem._meta.get_field("category"))
    statuses = choice_labels(CallItem._meta.get_field("status"))
    holding: dict[int, list[dict[str, Any]]] = {}
    for claim in claimants:
        holding.setdefault(claim["item_id"], []).append(
            {
                "claim": claim["id"],
                "organisation": claim["organisation__code"],
                "name": translated(claim, "organisation__name"),
                "status": claim["status"],
            }
        )
    return [
        {
            "id": row["id"],
            "list": row["call_list_id"],
            "batch": row["call_list__batch"],
            "number": row["number"],
            "title": bilingual(row, "title"),
            "description": bilingual(row, "description"),
            "deliverables": bilingual(row, "deliverables"),
            "category": row["category"],
            "category_label": categories.get(row["category"], row["category"]),
            "budget": written(budget, row["budget"]),
            "due_on": selectors.due_date_of(row["due_on"], row["call_list__delivery_deadline"]),
            "max_claimants": row["max_claimants"],
            "places_left": row["max_claimants"] - row["active_claims"],
            "status": row["status"],
            "status_label": statuses.get(row["status"], row["status"]),
            "claimants": holding.get(row["id"], []),
        }
        for row in rows
    ]


class ReportSerializer(ModelSerializer):
    class Meta:
        model = ProgressReport
        fields = ["id", "claim", "date", "text", "attachments", "created_at"]
        read_only_fields = fields

    attachments = serializers.ListField(child=serializers.CharField(), read_only=True)


class VerificationSerializer(ModelSerializer):
    outcome = OutcomeField(read_only=True)
    outcome_label = label_field("outcome")

    class Meta:
        model = Verification
        fields = ["outcome", "outcome_label", "score", "note", "verified_at"]
        read_only_fields = fields


class ClaimPrivateSerializer(serializers.Serializer):
    """What only the claimant and staff read."""

    pledge = serializers.CharField()
    contact = serializers.CharField()
    delivery_summary = serializers.CharField()
    reports = ReportSerializer(many=True)
    verifications = VerificationSerializer(many=True)


class ClaimSerializer(ModelSerializer):
    """A claim (揭榜). `private` is null unless the caller is the claimant or staff who may view
    claims."""

    item = serializers.IntegerField(source="item_id", read_only=True)
    item_title = serializers.SerializerMethodField()
    list = serializers.IntegerField(source="item.call_list_id", read_only=True)
    organisation = serializers.CharField(source="organisation.code", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    status = ClaimStatusField(read_only=True)
    status_label = label_field("status")
    on_time = serializers.SerializerMethodField(
        help_text="Delivered on or before the due date; null until delivered."
    )
    private = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "item",
            "item_title",
            "list",
            "organisation",
            "organisation_name",
            "status",
            "status_label",
            "claimed_on",
            "delivered_on",
            "on_time",
            "private",
        ]
        read_only_fields = fields

    @extend_schema_field(BilingualTextSerializer)
    def get_item_title(self, claim: Claim) -> dict:
        return BilingualField(source_field="title").to_representation(claim.item)

    def get_on_time(self, claim: Claim) -> bool | None:
        if claim.delivered_on is None:
            return None
        return selectors.delivered_on_time(claim)

    @extend_schema_field(ClaimPrivateSerializer(allow_null=True))
    def get_private(self, claim: Claim):
        caller = self.context.get("caller")
        if caller is None or not selectors.shows_private(caller, claim):
            return None
        return ClaimPrivateSerializer(
            {
                "pledge": claim.pledge,
                "contact": claim.contact,
                "delivery_summary": claim.delivery_summary,
                "reports": claim.reports.all(),
                "verifications": claim.verifications.all(),
            }
        ).data


# The columns of a claim that the claims list reads for a caller who reads no private part.
CLAIM_COLUMNS = (
    "id",
    "item_id",
    *bilingual_columns("item__title"),
    "item__call_list_id",
    "organisation__code",
    *bilingual_columns("organisation__name"),
    "status",
    "claimed_on",
    "delivered_on",
    "item__due_on",
    "item__call_list__delivery_deadline",
)


def public_claim_rows(
    rows: Iterable[Mapping[str, Any]], serializer: ClaimSerializer
) -> list[dict[str, Any]]:
    """Rows of CLAIM_COLUMNS written as the serializer writes claims for a caller who reads no
    claim's private part (null in every row): the same keys in the same order, without a model
    instance per claim, item, list and organisation. tests/api/test_golden.py holds the list to
    the bytes it had; tests/medical/test_api.py holds each row to the claim's own page."""
    claimed_on, delivered_on = serializer.fields["claimed_on"], serializer.fields["delivered_on"]
    statuses = choice_labels(Claim._meta.get_field("status"))

    def on_time(row: Mapping[str, Any]) -> bool | None:
        if row["delivered_on"] is None:
            return None
        due = selectors.due_date_of(row["item__due_on"], row["item__call_list__delivery_deadline"])
        return selectors.on_time(row["delivered_on"], due)

    return [
        {
            "id": row["id"],
            "item": row["item_id"],
            "item_title": bilingual(row, "item__title"),
            "list": row["item__call_list_id"],
            "organisation": row["organisation__code"],
            "organisation_name": translated(row, "organisation__name"),
            "status": row["status"],
            "status_label": statuses.get(row["status"], row["status"]),
            "claimed_on": claimed_on.to_representation(row["claimed_on"]),
            "delivered_on": written(delivered_on, row["delivered_on"]),
            "on_time": on_time(row),
            "private": None,
        }
        for row in rows
    ]


class ClaimInputSerializer(StrictInputMixin, serializers.Serializer):
    """What a claiming institution sends to claim (揭榜) an item."""

    pledge = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="What you commit to deliver."
    )
    contact = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Who to ask; never shown to others.",
    )


def _not_in_future(value: datetime.date) -> None:
    if value > timezone.localdate():
        raise serializers.ValidationError(_("The date cannot be in the future."))


class ReportInputSerializer(StrictInputMixin, serializers.Serializer):
    date = serializers.DateField(validators=[_not_in_future])
    text = serializers.CharField(max_length=5000)
    attachments = serializers.ListField(
        child=serializers.URLField(max_length=500),
        max_length=20,
        required=False,
        help_text="Links to photos or files (URLs); upload files elsewhere and link them.",
    )


class DeliverInputSerializer(StrictInputMixin, serializers.Serializer):
    delivered_on = serializers.DateField(
        required=False, validators=[_not_in_future], help_text="Defaults to today."
    )
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ProgrammeQuerySerializer(StrictInputMixin, serializers.Serializer):
    programme = serializers.CharField(
        required=False, max_length=40, help_text="Programme code; the default programme if absent."
    )


class LeaderboardQuerySerializer(ProgrammeQuerySerializer):
    list = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Id of a list: that batch's ranking. Without it, all batches together.",
    )


class LeaderboardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    organisation = serializers.CharField(source="organisation.code")
    organisation_name = serializers.CharField(source="organisation.name")
    claimed = serializers.IntegerField()
    delivered = serializers.IntegerField()
    on_time = serializers.IntegerField()
    verified = serializers.IntegerField()
    on_time_rate = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text="1 is 100%."
    )
    points = serializers.DecimalField(max_digits=10, decimal_places=1)
    last_verified_at = serializers.DateTimeField(allow_null=True)


class LeaderboardSerializer(serializers.Serializer):
    programme = serializers.CharField()
    list = serializers.IntegerField(allow_null=True)
    frozen = serializers.BooleanField(
        help_text="Read from the snapshot taken when the list closed."
    )
    taken_at = serializers.DateTimeField(allow_null=True)
    illustrative = serializers.BooleanField(
        help_text="The ranking rests on illustrative lists (made-up claims, dates and scores): "
        "it assesses no real organisation."
    )
    scoring_rule = serializers.CharField()
    rows = LeaderboardRowSerializer(many=True)


class ClinicSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    date = serializers.DateField()
    date_precision = serializers.CharField()
    venue = BilingualField()
    team = BilingualField()
    people_served = serializers.IntegerField()
    illustrative = serializers.BooleanField()


class CharityBatchSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    date = serializers.DateField()
    date_precision = serializers.CharField()
    patients = serializers.IntegerField()
    funds = serializers.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    conditions = serializers.ListField(
        child=serializers.ChoiceField(choices=["spine", "knee", "hip"])
    )
    illustrative = serializers.BooleanField()


class FirstSerializer(serializers.Serializer):
    date = serializers.DateField()
    date_precision = serializers.CharField()
    what = BilingualField()
    hospital = serializers.CharField(source="hospital.code")
    hospital_name = serializers.CharField(source="hospital.name")
    illustrative = serializers.BooleanField()


class PeopleServedSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    qualifier = serializers.ChoiceField(
        choices=["", "over", "nearly", "about"],
        help_text="How the source qualifies the value: `over` (余), `nearly` (近), `about` (约); "
        "empty when exact.",
    )
    basis = serializers.ChoiceField(
        choices=["reported", "recorded"],
        help_text="`reported`: as the source states it, because the clinic records are "
        "illustrative; `recorded`: the sum of the clinic records.",
    )
    source = BilingualTextSerializer(  # type: ignore[assignment]  # DRF takes declared fields off the class
        allow_null=True, help_text="The reported figure's source."
    )
    as_of = serializers.DateField(allow_null=True)


class OutreachSerializer(serializers.Serializer):
    programme = serializers.CharField()
    clinic_count = serializers.IntegerField()
    people_served = PeopleServedSerializer(help_text="The headline figure of people served.")
    people_served_recorded = serializers.IntegerField(
        help_text="The sum of the clinic records' head counts; illustrative where the clinics are."
    )
    charity_count = serializers.IntegerField()
    charity_patients = serializers.IntegerField()
    charity_funds = serializers.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS)
    currency = serializers.CharField()
    clinics = ClinicSerializer(many=True)
    charity_batches = CharityBatchSerializer(many=True)
    firsts = FirstSerializer(many=True)
