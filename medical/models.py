"""揭榜援藏 (medical open calls) and medical outreach.

Front-line staff collect needs (需求); the health commission turns them into items (榜单项) of a
published list (榜单, one per batch); institutions of the donor city claim (揭榜) items, report
progress and deliver; staff verify each delivery with a score; a closed list's ranking is frozen
in a snapshot. Every change of status goes through `medical.services`, which holds the transition
tables and records each transition in `Transition`.

Outreach: free clinics (义诊), the 抬头挺胸 charity programme's batches and the district
hospitals' "firsts". The names of each aid-team batch's medical staff are
`reference.TeamMember` rows with the medical role: staff-only, never shown publicly.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from api.actors import ActorMixin, actor_columns
from core.fields import MoneyField
from reference.models import DatePrecision, Organisation, Place, Programme
from reference.validators import no_invisible_controls


class Category(models.TextChoices):
    TREATMENT = "treatment", _("Treatment")
    TRAINING = "training", _("Training and visiting study")
    SPECIALTY = "specialty", _("Specialty building")
    DONATION = "donation", _("Donation of funds or goods")
    SMART_MEDICINE = "smart_medicine", _("Smart-medicine support")
    EQUIPMENT = "equipment", _("Equipment")
    OTHER = "other", _("Other")


class Need(models.Model):
    """A need (需求) collected in the partner district, before it becomes a list item."""

    class Status(models.TextChoices):
        COLLECTED = "collected", _("collected")
        ACCEPTED = "accepted", _("accepted")
        LISTED = "listed", _("listed")
        REJECTED = "rejected", _("rejected")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="needs"
    )
    code = models.SlugField(_("code"), max_length=40)
    description = models.TextField(_("description"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    requested_by = models.ForeignKey(
        Organisation,
        verbose_name=_("requesting institution"),
        on_delete=models.PROTECT,
        related_name="medical_needs",
        help_text=_("The institution in the partner district that needs it."),
    )
    collected_by = models.ForeignKey(
        Organisation,
        verbose_name=_("collected by"),
        on_delete=models.PROTECT,
        related_name="collected_medical_needs",
        null=True,
        blank=True,
    )
    collected_on = models.DateField(_("collected on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.COLLECTED, editable=False
    )
    illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["programme", "-collected_on", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="medical_need_code_unique"),
        ]

    def __str__(self):
        return f"{self.code}: {self.description[:60]}"


class CallList(models.Model):
    """A published list (榜单) of one batch."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        CLOSED = "closed", _("closed")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="call_lists"
    )
    batch = models.PositiveSmallIntegerField(_("batch"), validators=[MinValueValidator(1)])
    title = models.CharField(_("title"), max_length=200, validators=[no_invisible_controls])
    issuer = models.ForeignKey(
        Organisation,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="issued_call_lists",
    )
    published_on = models.DateField(_("published on"), null=True, blank=True, editable=False)
    claim_deadline = models.DateField(_("claims close on"))
    delivery_deadline = models.DateField(
        _("deliver by"),
        null=True,
        blank=True,
        help_text=_("Items without a due date of their own are due on this date."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)
    illustrative = models.BooleanField(
        _("illustrative"), default=False, help_text=_("Dates not stated by a source.")
    )

    class Meta:
        verbose_name = _("open-call list")
        verbose_name_plural = _("open-call lists")
        ordering = ["programme", "batch"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "batch"], name="call_list_batch_unique"),
            models.CheckConstraint(
                condition=Q(delivery_deadline__isnull=True)
                | Q(delivery_deadline__gte=F("claim_deadline")),
                name="call_list_delivery_after_claims",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_on__isnull=False),
                name="call_list_published_has_date",
            ),
        ]

    def __str__(self):
        return str(_("Batch %(batch)s: %(title)s") % {"batch": self.batch, "title": self.title})


class CallItem(models.Model):
    """An item (榜单项) of a list, made from one or more needs.

    `active_claims` counts the claims that hold a place (every claim not withdrawn); the
    services keep it under a row lock, and the CHECK keeps it within `max_claimants` even if
    they were bypassed.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLAIMED = "claimed", _("claimed")
        IN_PROGRESS = "in_progress", _("in progress")
        DELIVERED = "delivered", _("delivered")
        RETURNED = "returned", _("returned")
        VERIFIED = "verified", _("verified")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    call_list = models.ForeignKey(
        CallList, verbose_name=_("list"), on_delete=models.PROTECT, related_name="items"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    title = models.CharField(_("title"), max_length=200, validators=[no_invisible_controls])
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    deliverables = models.TextField(_("expected deliverables"), blank=True)
    budget = MoneyField(_("budget (CNY)"), null=True, blank=True, validators=[MinValueValidator(0)])
    due_on = models.DateField(_("due on"), null=True, blank=True)
    max_claimants = models.PositiveSmallIntegerField(
        _("maximum claimants"), default=1, validators=[MinValueValidator(1)]
    )
    active_claims = models.PositiveSmallIntegerField(
        _("claims holding a place"), default=0, editable=False
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN, editable=False
    )
    needs = models.ManyToManyField(Need, verbose_name=_("needs"), related_name="items", blank=True)

    class Meta:
        verbose_name = _("list item")
        verbose_name_plural = _("list items")
        ordering = ["call_list", "number"]
        constraints = [
            models.UniqueConstraint(fields=["call_list", "number"], name="call_item_number_unique"),
            models.CheckConstraint(
                condition=Q(max_claimants__gte=1), name="call_item_at_least_one_place"
            ),
            models.CheckConstraint(
                condition=Q(active_claims__gte=0) & Q(active_claims__lte=F("max_claimants")),
                name="call_item_claims_within_places",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="call_item_budget_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.call_list.batch}-{self.number} {self.title}"

    @property
    def places_left(self) -> int:
        return self.max_claimants - self.active_claims


class Claim(models.Model):
    """A claim (揭榜) on an item by an institution of the donor city.

    Public: item, organisation, status and dates. Private (the claimant and staff only): the
    contact, progress reports and verification notes.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        DELIVERED = "delivered", _("delivered")
        RETURNED = "returned", _("returned")
        VERIFIED = "verified", _("verified")
        WITHDRAWN = "withdrawn", _("withdrawn")

    # Every claim but a withdrawn one holds a place on its item.
    HOLDING = ("active", "delivered", "returned", "verified")

    item = models.ForeignKey(
        CallItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="claims"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("claimant"),
        on_delete=models.PROTECT,
        related_name="medical_claims",
    )
    claimed_on = models.DateField(_("claimed on"))
    pledge = models.TextField(_("pledge"), blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, editable=False
    )
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True, editable=False)
    delivery_summary = models.TextField(_("delivery summary"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        # The newest is read on every public request (core.newest): one index lookup.
        indexes = [models.Index(fields=["created_at"], name="claim_created_at")]
        ordering = ["item", "claimed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "organisation"],
                condition=Q(status__in=("active", "delivered", "returned", "verified")),
                name="claim_one_holding_per_organisation",
            ),
            models.CheckConstraint(
                condition=Q(status__in=("active", "withdrawn")) | Q(delivered_on__isnull=False),
                name="claim_delivered_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.item} · {self.organisation}"


class ProgressReport(ActorMixin, models.Model):
    """A claimant's progress report. Attachments are links (URLs or file references) given
    through the API; staff may upload files elsewhere and link them here."""

    claim = models.ForeignKey(
        Claim, verbose_name=_("claim"), on_delete=models.CASCADE, related_name="reports"
    )
    date = models.DateField(_("date"))
    text = models.TextField(_("text"))
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by, created_by_key = actor_columns(user_label=_("by staff"), key_label=_("by API key"))

    actor_fields = ("created_by", "created_by_key")

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["claim", "date", "id"]

    def __str__(self):
        return f"{self.claim} · {self.date}"


class Verification(models.Model):
    """Staff's assessment of a delivery: accepted with a score, or returned for more work."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned")

    claim = models.ForeignKey(
        Claim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="verifications"
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    score = models.PositiveSmallIntegerField(
        _("score (0–100)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.TextField(_("note"), blank=True)
    verified_at = models.DateTimeField(_("verified at"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        # The newest is read on every public request (core.newest): one index lookup.
        indexes = [models.Index(fields=["verified_at"], name="verification_verified_at")]
        ordering = ["claim", "verified_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(outcome="accepted") & Q(score__gte=0) & Q(score__lte=100))
                | (Q(outcome="returned") & Q(score__isnull=True)),
                name="verification_score_when_accepted",
            ),
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(outcome="accepted"),
                name="verification_accepted_once",
            ),
        ]

    def __str__(self):
        return f"{self.claim} · {self.get_outcome_display()}"


class Transition(ActorMixin, models.Model):
    """Who moved which record from which status to which, and when."""

    class Entity(models.TextChoices):
        NEED = "need", _("need")
        LIST = "list", _("list")
        ITEM = "item", _("item")
        CLAIM = "claim", _("claim")

    entity = models.CharField(_("record"), max_length=5, choices=Entity.choices)
    object_id = models.PositiveBigIntegerField(_("record id"))
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=12)
    to_status = models.CharField(_("to"), max_length=12)
    at = models.DateTimeField(_("at"))
    user, api_key = actor_columns(user_label=_("staff member"), key_label=_("API key"))

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["entity", "object_id"], name="medical_transition_record"),
            # The newest is read on every public request (core.newest): one index lookup.
            models.Index(fields=["at"], name="medical_transition_at"),
        ]

    def __str__(self):
        return f"{self.entity} #{self.object_id}: {self.from_status} → {self.to_status}"


class LeaderboardSnapshot(models.Model):
    """A batch's ranking, frozen when its list closes: later edits do not rewrite it."""

    call_list = models.OneToOneField(
        CallList, verbose_name=_("list"), on_delete=models.PROTECT, related_name="snapshot"
    )
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("leaderboard snapshot")
        verbose_name_plural = _("leaderboard snapshots")
        ordering = ["call_list"]

    def __str__(self):
        return str(self.call_list)


class LeaderboardRow(models.Model):
    snapshot = models.ForeignKey(
        LeaderboardSnapshot,
        verbose_name=_("snapshot"),
        on_delete=models.CASCADE,
        related_name="rows",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    claimed = models.PositiveIntegerField(_("items claimed"))
    delivered = models.PositiveIntegerField(_("delivered"))
    on_time = models.PositiveIntegerField(_("delivered on time"))
    verified = models.PositiveIntegerField(_("verified"))
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=1)
    last_verified_at = models.DateTimeField(_("last verified"), null=True, blank=True)

    class Meta:
        verbose_name = _("leaderboard row")
        verbose_name_plural = _("leaderboard rows")
        ordering = ["snapshot", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "rank"], name="leaderboard_rank_unique"),
            models.UniqueConstraint(
                fields=["snapshot", "organisation"], name="leaderboard_organisation_unique"
            ),
            models.CheckConstraint(
                condition=Q(on_time__lte=F("delivered")) & Q(verified__lte=F("delivered")),
                name="leaderboard_counts_consistent",
            ),
        ]

    def __str__(self):
        return f"{self.snapshot} #{self.rank} {self.organisation}"


class Bulletin(models.Model):
    """A public bulletin (通报): a commendation or a notice about claimants."""

    class Kind(models.TextChoices):
        COMMENDATION = "commendation", _("commendation")
        NOTICE = "notice", _("notice")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="bulletins"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200, validators=[no_invisible_controls])
    body = models.TextField(_("text"))
    call_list = models.ForeignKey(
        CallList,
        verbose_name=_("list"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bulletins",
    )
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisations"), related_name="medical_bulletins", blank=True
    )
    published = models.BooleanField(_("published"), default=False, editable=False)
    published_on = models.DateField(_("published on"), null=True, blank=True, editable=False)
    illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["programme", "-published_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(published=False) | Q(published_on__isnull=False),
                name="bulletin_published_has_date",
            ),
        ]

    def __str__(self):
        return self.title


class FreeClinic(models.Model):
    """A free clinic (义诊) and how many people it served."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="clinics"
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    place = models.ForeignKey(
        Place, verbose_name=_("place"), on_delete=models.PROTECT, null=True, blank=True
    )
    venue = models.CharField(_("venue"), max_length=200)
    team = models.CharField(_("team"), max_length=200)
    people_served = models.PositiveIntegerField(_("people served (person-times)"))
    illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        verbose_name = _("free clinic")
        verbose_name_plural = _("free clinics")
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="free_clinic_unique"),
        ]

    def __str__(self):
        return f"{self.date} {self.venue}"


class CharityBatch(models.Model):
    """A batch of the 抬头挺胸 charity programme: spine, knee and hip deformity surgery."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="charity_batches",
    )
    number = models.PositiveSmallIntegerField(_("batch"), validators=[MinValueValidator(1)])
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    patients = models.PositiveIntegerField(_("patients treated"))
    funds = MoneyField(_("funds (CNY)"), validators=[MinValueValidator(0)])
    spine = models.BooleanField(_("spine"), default=False)
    knee = models.BooleanField(_("knee"), default=False)
    hip = models.BooleanField(_("hip"), default=False)
    illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        verbose_name = _("charity batch")
        verbose_name_plural = _("charity batches")
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="charity_batch_unique"),
            models.CheckConstraint(condition=Q(funds__gte=0), name="charity_funds_not_negative"),
            models.CheckConstraint(
                condition=Q(spine=True) | Q(knee=True) | Q(hip=True),
                name="charity_batch_has_condition",
            ),
        ]

    def __str__(self):
        return str(_("Batch %(number)s") % {"number": self.number})

    @property
    def conditions(self) -> list[str]:
        return [name for name in ("spine", "knee", "hip") if getattr(self, name)]


class HospitalFirst(models.Model):
    """A first at a district hospital: the first transfusion, the first orthopaedic operation…"""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="firsts"
    )
    hospital = models.ForeignKey(
        Organisation, verbose_name=_("hospital"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.SlugField(_("code"), max_length=40)
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    what = models.CharField(_("what"), max_length=200)
    illustrative = models.BooleanField(
        _("illustrative date"), default=False, help_text=_("The date is not stated by a source.")
    )

    class Meta:
        verbose_name = _("hospital first")
        verbose_name_plural = _("hospital firsts")
        ordering = ["programme", "date", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="hospital_first_unique"),
        ]

    def __str__(self):
        return self.what
