from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.callers import caller_of
from api.serializers import StrictInputMixin
from core.fields import MONEY_DECIMALS, MONEY_DIGITS
from core.rest import (
    BilingualField,
    ModelSerializer,
    bilingual,
    bilingual_columns,
    choice_labels,
    label_field,
    written,
)
from funding.models import Donation, LedgerEntry
from projects import selectors as project_selectors
from projects.models import Project
from reference.models import Organisation, Programme

TYPE_LABELS = dict(LedgerEntry.Type.choices)


@extend_schema_field(
    {"type": "string", "enum": LedgerEntry.Type.values},
    component_name="LedgerEntryTypeEnum",
)
class LedgerEntryTypeField(serializers.ChoiceField):
    """The entry type, one named schema for reading and writing alike."""

    def __init__(self, **kwargs):
        super().__init__(choices=LedgerEntry.Type.choices, **kwargs)


@extend_schema_field(OpenApiTypes.URI)
class EntryUrlField(serializers.Field):
    """The entry's address: the list address reversed once per response, not once per row."""

    def __init__(self, **kwargs):
        super().__init__(source="pk", read_only=True, **kwargs)

    def to_representation(self, pk) -> str:
        base = self.context.get("entries_url")
        if base is None:
            request = self.context.get("request")
            base = reverse("api:ledger-entry-list")
            base = request.build_absolute_uri(base) if request else base
            # The context is the dict the view passes; this caches the URL for every row.
            self.context["entries_url"] = base  # type: ignore[index]
        return f"{base}{pk}/"


class LedgerEntryOutputSerializer(ModelSerializer):
    """A posted ledger entry (资金台账分录). Entries never change: a correction is a reversal."""

    url = EntryUrlField()
    project = serializers.CharField(source="project.code", read_only=True)
    type = LedgerEntryTypeField(read_only=True)
    type_label = serializers.SerializerMethodField(
        help_text="The type's name in the language the request asked for."
    )
    iati_code = serializers.SerializerMethodField(
        help_text="IATI TransactionType code: 11 incoming commitment, 1 incoming funds (到位), "
        "3 disbursement (拨付), 4 expenditure (支出)."
    )
    amount = serializers.DecimalField(
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_DECIMALS,
        read_only=True,
        help_text="Always positive; a reversal cancels the amount of the entry it reverses.",
    )
    provider = serializers.CharField(
        source="provider.code", read_only=True, allow_null=True, help_text="Organisation code."
    )
    receiver = serializers.CharField(
        source="receiver.code", read_only=True, allow_null=True, help_text="Organisation code."
    )
    reverses = serializers.IntegerField(
        source="reverses_id",
        read_only=True,
        allow_null=True,
        help_text="Id of the entry this reversal cancels; null for an ordinary entry.",
    )
    reversed_by = serializers.IntegerField(
        source="reversal_id",
        read_only=True,
        allow_null=True,
        help_text="Id of the reversal that cancels this entry; null while it stands.",
    )
    beyond_arrivals = serializers.BooleanField(
        read_only=True,
        help_text="A disbursement recorded beyond the funds arrived (funds in transit); "
        "`reason` says why.",
    )
    needs_approval = serializers.BooleanField(
        read_only=True,
        help_text="An arrival or disbursement above the approval threshold: it counts in the "
        "totals only once a second staff member has approved it.",
    )
    approved = serializers.SerializerMethodField(
        help_text="Whether a second staff member has approved this arrival or disbursement."
    )
    note = serializers.CharField(
        source="shown_note",
        read_only=True,
        help_text="A note posted with a partner's key is blank to others until staff publish it.",
    )
    approved_at = serializers.DateTimeField(
        source="approval.approved_at", read_only=True, allow_null=True
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "url",
            "project",
            "type",
            "type_label",
            "iati_code",
            "date",
            "amount",
            "currency",
            "provider",
            "receiver",
            "voucher",
            "note",
            "reverses",
            "reversed_by",
            "reason",
            "beyond_arrivals",
            "needs_approval",
            "approved",
            "approved_at",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_type_label(self, entry: LedgerEntry) -> str:
        return str(TYPE_LABELS[entry.type])

    def get_iati_code(self, entry: LedgerEntry) -> str:
        return LedgerEntry.IATI_CODES[entry.type]

    def get_approved(self, entry: LedgerEntry) -> bool:
        return hasattr(entry, "approval")


def entry_list_rows(
    rows: Iterable[dict[str, Any]], serializer: LedgerEntryOutputSerializer
) -> list[dict[str, Any]]:
    """Rows of `funding.api.views.ENTRY_VALUES` written as the serializer writes entries: the
    same keys in the same order, dates, money and times through the serializer's own fields,
    labels in the request's language, without a model instance or a field lookup per row.
    tests/api/test_golden.py holds the list to the bytes it had; tests/funding/test_api.py holds
    each row to the entry's own page, for every kind of entry and caller."""
    fields = serializer.fields
    url, date, amount = fields["url"], fields["date"], fields["amount"]
    approved_at, recorded_at = fields["approved_at"], fields["recorded_at"]
    type_labels = choice_labels(LedgerEntry._meta.get_field("type"))
    return [
        {
            "id": row["id"],
            "url": url.to_representation(row["id"]),
            "project": row["project__code"],
            "type": row["type"],
            "type_label": type_labels[row["type"]],
            "iati_code": LedgerEntry.IATI_CODES[row["type"]],
            "date": date.to_representation(row["date"]),
            "amount": amount.to_representation(row["amount"]),
            "currency": row["currency"],
            "provider": row["provider__code"],
            "receiver": row["receiver__code"],
            "voucher": row["voucher"],
            "note": row["shown_note"],
            "reverses": row["reverses_id"],
            "reversed_by": row["reversal_id"],
            "reason": row["reason"],
            "beyond_arrivals": row["beyond_arrivals"],
            "needs_approval": row["needs_approval"],
            "approved": row["approval__id"] is not None,
            "approved_at": written(approved_at, row["approval__approved_at"]),
            "recorded_at": recorded_at.to_representation(row["recorded_at"]),
        }
        for row in rows
    ]


class LedgerEntryInputSerializer(StrictInputMixin, serializers.Serializer):
    """What finance staff or a partner send to post an entry. The ledger's rules (disbursed never
    beyond arrived, the approval threshold) are the service's; a refusal writes nothing."""

    project = serializers.SlugRelatedField[Project](
        slug_field="code", queryset=Project.objects.none()
    )
    type = LedgerEntryTypeField()
    date = serializers.DateField()
    amount = serializers.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_DECIMALS, min_value=Decimal("0.01")
    )
    provider = serializers.SlugRelatedField[Organisation](
        slug_field="code",
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text="Organisation code of who paid.",
    )
    receiver = serializers.SlugRelatedField[Organisation](
        slug_field="code",
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text="Organisation code of who received.",
    )
    voucher = serializers.CharField(max_length=100, required=False, allow_blank=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    beyond_arrivals_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Staff with the permission to record beyond arrivals only: why a disbursement "
        "may go beyond the funds arrived (funds in transit). Used only when it does.",
    )
    beyond_plan_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Arrivals only: why this arrival may take the project's arrivals above its "
        "planned investment. Without it such an arrival is a 400 naming this field.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Staff may post to any project; a partner names published projects and its own.
        self.fields["project"].queryset = project_selectors.projects_known_to(  # type: ignore[attr-defined]  # a related field
            caller_of(self.context.get("request"))
        )


class ReversalInputSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, help_text="Why the entry is reversed; kept with the reversal."
    )


class SummaryQuerySerializer(serializers.Serializer):
    """Which projects the figures cover; without any, every project the caller may see."""

    programme = serializers.SlugRelatedField[Programme](
        slug_field="code",
        queryset=Programme.objects.all(),
        required=False,
        help_text="Programme code, such as hangzhou-seni.",
    )
    project = serializers.CharField(max_length=40, required=False, help_text="Project code.")
    field = serializers.ChoiceField(choices=Project.Field.choices, required=False)
    category = serializers.ChoiceField(choices=Project.Category.choices, required=False)
    period = serializers.CharField(
        max_length=40, required=False, help_text="Plan period code, such as 14th."
    )
    year = serializers.IntegerField(
        min_value=1,
        max_value=9999,
        required=False,
        help_text="Limits `by_year` to this calendar year; the totals stay cumulative.",
    )


def _rate(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=None, decimal_places=None, allow_null=True, read_only=True, help_text=help_text
    )


def _sum(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=None, decimal_places=2, read_only=True, help_text=help_text
    )


class YearFiguresSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    due = _sum(
        "What was due to be paid in the year: the year's budget lines, the revised line where "
        "there is one."
    )
    arrived = _sum("Funds arrived (到位) in the year.")
    disbursed = _sum("Disbursed (拨付) in the year.")
    spent = _sum("Spent (支出) in the year.")
    payment_rate = _rate(
        "Payment rate (兑付率): disbursed in the year ÷ due that year, an exact decimal "
        "(1 is 100%). It exceeds 1 when the year also paid an earlier year's backlog. Null "
        "when nothing was due."
    )


class SharePeriodSerializer(serializers.Serializer):
    period = serializers.CharField(
        read_only=True, allow_null=True, help_text="Plan period code; null outside any period."
    )
    planned = _rate("Share of the period's planned investment, an exact decimal (1 is 100%).")
    disbursed = _rate("Share of what the period's projects have disbursed to date.")


class ShareYearSerializer(serializers.Serializer):
    year = serializers.IntegerField(read_only=True)
    due = _rate("Share of what was due in the year.")
    disbursed = _rate("Share of what was disbursed in the year.")


class PolicyShareSerializer(serializers.Serializer):
    definition = serializers.CharField(read_only=True)
    expected = _rate(
        "The share programmes are expected to reach, an exact decimal (0.8 is 80%); null when "
        "the programmes covered differ on it."
    )
    planned = _rate("Share of the planned investment; null when nothing is planned.")
    disbursed = _rate("Share of the funds disbursed to date; null when nothing is disbursed.")
    by_period = SharePeriodSerializer(many=True, read_only=True)
    by_year = ShareYearSerializer(many=True, read_only=True)


class GrassrootsShareSerializer(PolicyShareSerializer):
    all_grassroots = serializers.BooleanField(
        read_only=True,
        help_text=(
            "Every project covered is located at county level or below, so the share is 1 by "
            "definition (as where the partner is itself a county)."
        ),
    )


class FundingSummarySerializer(serializers.Serializer):
    currency = serializers.CharField(read_only=True)
    planned = _sum("Planned investment of the projects.")
    committed = _sum("Incoming commitments.")
    arrived = _sum("Funds arrived (到位), to date.")
    disbursed = _sum("Disbursed (拨付), to date; approved disbursements only.")
    spent = _sum("Spent (支出), to date.")
    awaiting_approval = _sum("Disbursements above the approval threshold not yet approved.")
    arrival_rate = _rate("Arrived ÷ planned, an exact decimal; null when nothing is planned.")
    disbursement_rate = _rate(
        "Disbursed ÷ arrived, an exact decimal; null when nothing has arrived."
    )
    by_year = YearFiguresSerializer(many=True, read_only=True)
    grassroots_share = GrassrootsShareSerializer(
        read_only=True, help_text="Funds for projects at county level and below (县及县以下)."
    )
    livelihood_share = PolicyShareSerializer(
        read_only=True, help_text="Funds for projects in the livelihood field (民生)."
    )


class DonationSerializer(ModelSerializer):
    kind_label = label_field("kind")
    value = serializers.DecimalField(
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_DECIMALS,
        read_only=True,
        help_text="The amount, or the assessed value of goods.",
    )
    currency = serializers.SerializerMethodField()
    programme = serializers.CharField(source="programme.code", read_only=True)
    donor = serializers.CharField(
        source="donor.code", read_only=True, allow_null=True, help_text="Organisation code."
    )
    donor_name = serializers.CharField(
        read_only=True, help_text="The donor's name when it is not a recorded organisation."
    )
    purpose = BilingualField(help_text="What the donation is for, in both languages.")
    recipient = serializers.CharField(
        source="recipient.code", read_only=True, allow_null=True, help_text="Organisation code."
    )
    beneficiaries_label = label_field("beneficiaries")
    project = serializers.CharField(source="project.code", read_only=True, allow_null=True)

    class Meta:
        model = Donation
        fields = [
            "id",
            "date",
            "kind",
            "kind_label",
            "value",
            "currency",
            "programme",
            "donor",
            "donor_name",
            "recipient",
            "beneficiaries",
            "beneficiaries_label",
            "purpose",
            "project",
            "illustrative",
        ]
        read_only_fields = fields

    def get_currency(self, donation: Donation) -> str:
        return CURRENCY


# Donations, like the ledger, are recorded in yuan.
CURRENCY = "CNY"
# The columns of a donation that the donations list reads (`donation_list_rows`).
DONATION_COLUMNS = (
    "id",
    "date",
    "kind",
    "value",
    "programme__code",
    "donor__code",
    "donor_name",
    "recipient__code",
    "beneficiaries",
    *bilingual_columns("purpose"),
    "project__code",
    "illustrative",
)


def donation_list_rows(
    rows: Iterable[Mapping[str, Any]], serializer: DonationSerializer
) -> list[dict[str, Any]]:
    """Rows of DONATION_COLUMNS written as the serializer writes donations: the same keys in the
    same order, labels in the request's language, without a model instance per donation and
    each of its four related records. tests/api/test_golden.py holds the list to the bytes it
    had; tests/funding/test_api.py holds each row to the donation's own page."""
    date, value = serializer.fields["date"], serializer.fields["value"]
    kinds = choice_labels(Donation._meta.get_field("kind"))
    beneficiaries = choice_labels(Donation._meta.get_field("beneficiaries"))
    return [
        {
            "id": row["id"],
            "date": date.to_representation(row["date"]),
            "kind": row["kind"],
            "kind_label": kinds.get(row["kind"], row["kind"]),
            "value": value.to_representation(row["value"]),
            "currency": CURRENCY,
            "programme": row["programme__code"],
            "donor": row["donor__code"],
            "donor_name": row["donor_name"],
            "recipient": row["recipient__code"],
            "beneficiaries": row["beneficiaries"],
            "beneficiaries_label": beneficiaries.get(row["beneficiaries"], row["beneficiaries"]),
            "purpose": bilingual(row, "purpose"),
            "project": row["project__code"],
            "illustrative": row["illustrative"],
        }
        for row in rows
    ]


class DonationTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField(read_only=True)
    total = _sum("Money and goods.")
    money = _sum("Donations of money.")
    goods = _sum("The assessed value of donated goods.")
    goods_for_students = _sum("The assessed value of goods for students (books, uniforms).")
