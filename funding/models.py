"""The funding ledger (资金台账): budgets, append-only entries and the running totals pages read.

Entries are never changed or deleted — PostgreSQL refuses it (see the migration's trigger).
A mistake is corrected by a reversal entry pointing at the original. Every write goes through
`funding.services`, which keeps the totals in step in the same transaction.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from api.actors import ActorMixin, actor_columns
from core.fields import SUM_DIGITS, MoneyField
from projects.models import Project
from reference.models import Organisation, Programme
from reference.validators import no_invisible_controls


class BudgetLine(models.Model):
    """What a project is due to be paid in a year: the denominator of the payment rate."""

    class Kind(models.TextChoices):
        ORIGINAL = "original", _("original")
        REVISED = "revised", _("revised")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="budget_lines"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.ORIGINAL)
    amount = MoneyField(_("amount (CNY)"), validators=[MinValueValidator(0)])
    note = models.CharField(_("note"), max_length=300, blank=True)
    illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["project", "year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year", "kind"], name="budget_line_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_line_not_negative"),
        ]

    def __str__(self):
        return f"{self.project.code} {self.year} {self.get_kind_display()}"


class LedgerEntry(ActorMixin, models.Model):
    """One posted movement of money. Types follow IATI's TransactionType codelist."""

    class Type(models.TextChoices):
        INCOMING_COMMITMENT = "incoming_commitment", _("Incoming commitment")  # IATI 11
        INCOMING_FUNDS = "incoming_funds", _("Funds arrived")  # IATI 1, 到位
        DISBURSEMENT = "disbursement", _("Disbursement")  # IATI 3, 拨付
        EXPENDITURE = "expenditure", _("Expenditure")  # IATI 4, 支出

    IATI_CODES = {
        "incoming_commitment": "11",
        "incoming_funds": "1",
        "disbursement": "3",
        "expenditure": "4",
    }

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="ledger_entries"
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    date = models.DateField(_("date"))
    amount = MoneyField(_("amount (CNY)"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY", editable=False)
    provider = models.ForeignKey(
        Organisation,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    receiver = models.ForeignKey(
        Organisation,
        verbose_name=_("receiver"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    voucher = models.CharField(_("voucher or document number"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        help_text=_("The entry this one cancels."),
    )
    reason = models.CharField(
        _("reason"),
        max_length=500,
        blank=True,
        help_text=_("Why a reversal, or why a disbursement goes beyond the funds arrived."),
    )
    beyond_arrivals = models.BooleanField(
        _("beyond arrivals"),
        default=False,
        help_text=_("A disbursement recorded beyond the funds arrived (funds in transit)."),
    )
    needs_approval = models.BooleanField(
        _("needs a second approval"),
        default=False,
        help_text=_(
            "An arrival or disbursement above the approval threshold counts once approved."
        ),
    )
    illustrative = models.BooleanField(_("illustrative"), default=False)
    recorded_by, recorded_by_key = actor_columns(
        user_label=_("recorded by"), key_label=_("recorded with API key")
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True, db_index=True)

    actor_fields = ("recorded_by", "recorded_by_key")

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-date", "-id"]
        permissions = [
            ("record_beyond_arrivals", _("Can record a disbursement beyond the funds arrived")),
            ("approve_disbursement", _("Can approve a large disbursement")),
            ("publish_entry_note", _("Can publish a partner's note on a ledger entry")),
        ]
        indexes = [
            models.Index(fields=["project", "type", "date"]),
            models.Index(fields=["date", "id"]),
            models.Index(fields=["recorded_at", "id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(condition=Q(currency="CNY"), name="ledger_currency_cny"),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | ~Q(reason=""),
                name="ledger_reversal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(beyond_arrivals=False) | (Q(type="disbursement") & ~Q(reason="")),
                name="ledger_beyond_arrivals_is_a_disbursement_with_reason",
            ),
            models.CheckConstraint(
                condition=Q(needs_approval=False) | Q(type__in=["disbursement", "incoming_funds"]),
                name="ledger_only_arrivals_and_disbursements_need_approval",
            ),
            models.CheckConstraint(
                condition=~Q(reverses=F("id")), name="ledger_entry_not_its_own_reversal"
            ),
        ]

    def __str__(self):
        return f"{self.project.code} {self.date} {self.get_type_display()} {self.amount:,.2f}"

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.is_reversal else self.amount


class Approval(models.Model):
    """The second staff member's approval of a large disbursement; append-only like entries."""

    entry = models.OneToOneField(
        LedgerEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="approval"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), auto_now_add=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        # The newest is read on every public request (core.newest): one index lookup.
        indexes = [models.Index(fields=["approved_at"], name="approval_approved_at")]

    def __str__(self):
        return f"{self.entry} ✓ {self.approved_by}"


class ClosedPeriod(models.Model):
    """A programme's year whose books are closed: no ledger entry, reversals included, may be
    dated in it. Set by a finance approver; the database refuses such entries too (trigger)."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="closed_periods",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    closed_at = models.DateTimeField(_("closed"), auto_now_add=True)

    class Meta:
        verbose_name = _("closed year")
        verbose_name_plural = _("closed years")
        ordering = ["programme", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year"], name="closed_period_once_per_programme_year"
            )
        ]

    def __str__(self):
        return f"{self.programme} {self.year}"


class NotePublication(models.Model):
    """Staff's decision that a partner's note on an entry may be shown publicly. Entries never
    change, so the decision is a row of its own; a note posted with an API key is private until
    it has one."""

    entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("entry"),
        on_delete=models.PROTECT,
        related_name="note_publication",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        verbose_name = _("published note")
        verbose_name_plural = _("published notes")
        # The newest is read on every public request (core.newest): one index lookup.
        indexes = [models.Index(fields=["published_at"], name="note_publication_published_at")]

    def __str__(self):
        return f"{self.entry} · {self.entry.note}"


class ProjectFunding(models.Model):
    """A project's running totals, kept by the services in the same transaction as each entry.

    Its row is also the lock that serialises a project's disbursements. `check_ledger`
    recomputes it from the entries."""

    project = models.OneToOneField(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="funding"
    )
    committed = MoneyField(_("committed"), default=Decimal("0"))
    arrived = MoneyField(pgettext_lazy("money", "arrived"), default=Decimal("0"))
    disbursed = MoneyField(_("disbursed"), default=Decimal("0"))
    spent = MoneyField(_("spent"), default=Decimal("0"))
    pending = MoneyField(
        _("awaiting approval"),
        default=Decimal("0"),
        help_text=_("Disbursements not yet approved."),
    )
    beyond_arrivals = MoneyField(
        _("recorded beyond arrivals"),
        default=Decimal("0"),
        help_text=_("The sum of disbursements staff recorded beyond the funds arrived."),
    )

    class Meta:
        verbose_name = _("project funding totals")
        verbose_name_plural = _("project funding totals")
        constraints = [
            models.CheckConstraint(
                condition=Q(arrived__gte=0, disbursed__gte=0, spent__gte=0, pending__gte=0),
                name="project_funding_not_negative",
            ),
            # The invariant itself: what is disbursed, or reserved while awaiting approval, never
            # exceeds what has arrived, except by what staff recorded beyond arrivals with a reason.
            models.CheckConstraint(
                condition=Q(disbursed__lte=F("arrived") + F("beyond_arrivals") - F("pending")),
                name="project_funding_disbursed_within_arrived",
            ),
        ]

    def __str__(self):
        return str(self.project)


class ProjectFundingYear(models.Model):
    """A project's totals for one calendar year, for yearly figures and the payment rate."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="funding_years"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    arrived = MoneyField(pgettext_lazy("money", "arrived"), default=Decimal("0"))
    disbursed = MoneyField(_("disbursed"), default=Decimal("0"))
    spent = MoneyField(_("spent"), default=Decimal("0"))

    class Meta:
        verbose_name = _("project funding for a year")
        verbose_name_plural = _("project funding by year")
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="project_funding_year_unique"),
        ]
        indexes = [models.Index(fields=["year", "project"])]

    def __str__(self):
        return f"{self.project.code} {self.year}"


class FundingRollup(models.Model):
    """Running totals per group of a programme's projects that share publication, field,
    category, plan period and place level: what the dashboards add up, a few rows per programme
    instead of one per project.

    `funding.rollups` keeps them in step in the same transaction as every change to the project
    totals, the budget lines or a project's grouping; `check_ledger` recomputes them.
    """

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="+"
    )
    published = models.BooleanField(_("published"))
    field = models.CharField(_("field"), max_length=12)
    category = models.CharField(_("category"), max_length=16)
    # Counts are plain integers, not positive ones: an upsert proposes the negative difference
    # as a new row before it meets the existing one, and PostgreSQL checks that row first.
    # The plan period's id, 0 for projects outside any period: a NULL would not be unique.
    plan_period_key = models.PositiveIntegerField(_("plan period"))
    # The level of the projects' place, blank for none: what the grassroots share reads.
    place_level = models.CharField(_("place level"), max_length=10, blank=True, default="")
    projects = models.IntegerField(_("projects"), default=0)
    planned = MoneyField(_("planned"), max_digits=SUM_DIGITS, default=Decimal("0"))
    committed = MoneyField(_("committed"), max_digits=SUM_DIGITS, default=Decimal("0"))
    arrived = MoneyField(
        pgettext_lazy("money", "arrived"), max_digits=SUM_DIGITS, default=Decimal("0")
    )
    disbursed = MoneyField(_("disbursed"), max_digits=SUM_DIGITS, default=Decimal("0"))
    spent = MoneyField(_("spent"), max_digits=SUM_DIGITS, default=Decimal("0"))
    pending = MoneyField(_("awaiting approval"), max_digits=SUM_DIGITS, default=Decimal("0"))

    class Meta:
        verbose_name = _("programme funding totals")
        verbose_name_plural = _("programme funding totals")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "programme",
                    "published",
                    "field",
                    "category",
                    "plan_period_key",
                    "place_level",
                ],
                name="funding_rollup_unique",
            ),
        ]

    def __str__(self):
        return f"{self.programme_id} {self.field} {self.category}"


class FundingRollupYear(models.Model):
    """A group's totals for one calendar year: due, arrived, disbursed and spent, how many
    project totals or budget lines make the year appear, and how many of its entries and budget
    lines are illustrative."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="+"
    )
    published = models.BooleanField(_("published"))
    field = models.CharField(_("field"), max_length=12)
    category = models.CharField(_("category"), max_length=16)
    plan_period_key = models.PositiveIntegerField(_("plan period"))
    place_level = models.CharField(_("place level"), max_length=10, blank=True, default="")
    year = models.PositiveSmallIntegerField(_("year"))
    present = models.IntegerField(_("present"), default=0)
    illustrative = models.IntegerField(_("illustrative"), default=0)
    due = MoneyField(_("due"), max_digits=SUM_DIGITS, default=Decimal("0"))
    arrived = MoneyField(
        pgettext_lazy("money", "arrived"), max_digits=SUM_DIGITS, default=Decimal("0")
    )
    disbursed = MoneyField(_("disbursed"), max_digits=SUM_DIGITS, default=Decimal("0"))
    spent = MoneyField(_("spent"), max_digits=SUM_DIGITS, default=Decimal("0"))

    class Meta:
        verbose_name = _("programme funding for a year")
        verbose_name_plural = _("programme funding by year")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "programme",
                    "published",
                    "field",
                    "category",
                    "plan_period_key",
                    "place_level",
                    "year",
                ],
                name="funding_rollup_year_unique",
            ),
        ]

    def __str__(self):
        return f"{self.programme_id} {self.field} {self.category} {self.year}"


class Donation(models.Model):
    """Money or goods given (捐赠), with the assessed value of goods."""

    class Kind(models.TextChoices):
        MONEY = "money", _("money")
        GOODS = "goods", _("goods")

    class Beneficiaries(models.TextChoices):
        STUDENTS = "students", _("students")
        PATIENTS = "patients", _("patients")
        HERDERS = "herders", _("herders and villagers")
        OTHER = "other", _("other")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="donations"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    value = MoneyField(_("value (CNY)"), help_text=_("The amount, or the assessed value of goods."))
    donor = models.ForeignKey(
        Organisation,
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    donor_name = models.CharField(
        _("donor name"),
        max_length=200,
        blank=True,
        help_text=_("When the donor is not recorded."),
        validators=[no_invisible_controls],
    )
    recipient = models.ForeignKey(
        Organisation,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    beneficiaries = models.CharField(
        _("for"), max_length=10, choices=Beneficiaries.choices, default=Beneficiaries.OTHER
    )
    purpose = models.CharField(_("purpose"), max_length=300)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donations",
    )
    illustrative = models.BooleanField(_("illustrative"), default=False)
    published = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="donation_value_positive"),
            models.CheckConstraint(
                condition=Q(donor__isnull=False) | ~Q(donor_name=""), name="donation_has_a_donor"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.purpose}"


class LedgerCheck(models.Model):
    """One run of `manage.py check_ledger`: when, whether the totals agreed with the entries and
    what differed. Append-only, so a failed run stays on record (and on the staff desk) after a
    later one passes."""

    ran_at = models.DateTimeField(_("ran at"), auto_now_add=True, db_index=True)
    passed = models.BooleanField(_("passed"))
    difference_count = models.PositiveIntegerField(_("differences"), default=0)
    differences = models.TextField(_("what differed"), blank=True)
    rebuilt_rollups = models.BooleanField(_("rollups rebuilt first"), default=False)

    class Meta:
        verbose_name = _("ledger check")
        verbose_name_plural = _("ledger checks")
        ordering = ["-ran_at", "-id"]

    def __str__(self):
        return f"{self.ran_at:%Y-%m-%d %H:%M} {_('passed') if self.passed else _('failed')}"
