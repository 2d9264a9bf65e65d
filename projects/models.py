"""Aid projects (援藏项目), what they report, and the programme timeline (大事记)."""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from imagekit.models import ImageSpecField
from pilkit.processors import ResizeToFill, ResizeToFit

from api.actors import ActorMixin, actor_columns
from core.fields import SUM_DIGITS, MoneyField
from reference.models import (
    DatePrecision,
    IllustrativeFieldsMixin,
    Organisation,
    Place,
    PlanPeriod,
    Programme,
    code_validator,
)
from reference.validators import no_invisible_controls

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Stage(models.TextChoices):
    """Where a project stands in its lifecycle (projects.lifecycle holds the steps between)."""

    PROPOSAL = "proposal", _("Proposal")
    REVIEW = "review", _("Joint review")
    APPROVED = "approved", _("Approved")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    ACCEPTED = "accepted", _("Accepted")
    HANDED_OVER = "handed_over", _("Handed over")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Project(IllustrativeFieldsMixin, models.Model):
    class Field(models.TextChoices):
        DEVELOPMENT = "development", _("Development")
        LIVELIHOOD = "livelihood", _("Livelihood")
        INTEGRATION = "integration", _("Integration and exchange")

    class Category(models.TextChoices):
        INFRASTRUCTURE = "infrastructure", _("Infrastructure")
        HOUSING = "housing", _("Housing")
        HEALTH = "health", _("Health")
        EDUCATION = "education", _("Education")
        RURAL = "rural", _("Rural revitalisation")
        GOVERNANCE = "governance", _("Governance")
        ECOLOGY = "ecology", _("Ecology")
        ENERGY = "energy", _("Energy")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        # IATI ActivityStatus, codes 1–6 in this order.
        PIPELINE = "pipeline", _("Pipeline")
        IMPLEMENTATION = "implementation", _("Implementation")
        FINALISATION = "finalisation", _("Finalisation")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")
        SUSPENDED = "suspended", _("Suspended")

    class BeneficiaryUnit(models.TextChoices):
        HOUSEHOLDS = "households", _("households")
        HOMES = "homes", _("homes")
        PEOPLE = "people", _("people")
        STUDENTS = "students", _("students")
        PATIENTS = "patients", _("patients")
        BEDS = "beds", _("beds")
        VILLAGES = "villages", _("villages")

    # Fields whose value may be flagged as illustrative (made up where the source is silent).
    ILLUSTRATIVE_CHOICES = [
        "title",
        "summary",
        "field",
        "category",
        "place",
        "status",
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "planned_investment",
        "beneficiaries",
        "flagship",
        "participants",
    ]

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="projects"
    )
    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=200, validators=[no_invisible_controls])
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    field = models.CharField(_("field"), max_length=12, choices=Field.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    plan_period = models.ForeignKey(
        PlanPeriod,
        verbose_name=_("plan period"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("place"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PIPELINE
    )
    # Moved only by projects.lifecycle, which keeps `status` in step with it.
    stage = models.CharField(
        _("lifecycle stage"), max_length=12, choices=Stage.choices, default=Stage.PROPOSAL
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    planned_investment = MoneyField(
        _("planned investment (CNY)"),
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY", editable=False)
    flagship = models.BooleanField(_("flagship project"), default=False)
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), null=True, blank=True)
    beneficiary_unit = models.CharField(
        _("beneficiary unit"), max_length=12, choices=BeneficiaryUnit.choices, blank=True
    )
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_investment__gte=0), name="project_investment_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                name="project_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="project_actual_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(beneficiaries__isnull=True) | ~Q(beneficiary_unit=""),
                name="project_beneficiaries_have_unit",
            ),
            models.CheckConstraint(condition=Q(currency="CNY"), name="project_currency_cny"),
        ]
        indexes = [
            models.Index(fields=["published", "programme", "field", "status"]),
            # The admin's date hierarchy reads the first and last dates and the years present.
            models.Index(fields=["planned_start"], name="projects_pr_planned_start_idx"),
            # The desk's lifecycle queues read the projects waiting at one stage.
            models.Index(fields=["stage"], name="projects_project_stage_idx"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def clean(self):
        errors: dict[str, StrOrPromise] = {}
        if (
            self.programme_id
            and self.plan_period is not None
            and (self.plan_period.programme_id != self.programme_id)
        ):
            errors["plan_period"] = _("The plan period belongs to another programme.")
        if self.beneficiaries is not None and not self.beneficiary_unit:
            errors["beneficiary_unit"] = _("Say what the beneficiaries are counted in.")
        for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
            if (
                getattr(self, start)
                and getattr(self, end)
                and getattr(self, end) < getattr(self, start)
            ):
                errors[end] = _("The end cannot be before the start.")
        errors.update(self.illustrative_field_errors())
        if errors:
            raise ValidationError(errors)


class Participant(models.Model):
    class Role(models.TextChoices):
        # IATI OrganisationRole: 1 funding, 2 accountable, 4 implementing.
        FUNDING = "funding", _("Funding")
        ACCOUNTABLE = "accountable", _("Accountable")
        IMPLEMENTING = "implementing", _("Implementing")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="participants"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)

    class Meta:
        verbose_name = _("participating organisation")
        verbose_name_plural = _("participating organisations")
        ordering = ["project", "role", "organisation__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "organisation", "role"], name="participant_unique"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} ({self.get_role_display()})"


class Milestone(models.Model):
    class Kind(models.TextChoices):
        APPROVAL = "approval", _("Approval or filing")
        CONSTRUCTION_START = "construction_start", _("Construction start")
        COMPLETION = "completion", _("Completion")
        HANDOVER = "handover", _("Handover or operation")
        CUSTOM = "custom", _("Other")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(
        _("title"),
        max_length=200,
        blank=True,
        help_text=_("Required for a milestone of kind Other."),
        validators=[no_invisible_controls],
    )
    planned_date = models.DateField(_("planned date"), null=True, blank=True)
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project", models.F("actual_date").asc(nulls_last=True), "planned_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=~Q(kind="custom"),
                name="milestone_standard_kind_once",
            ),
            models.CheckConstraint(
                condition=~Q(kind="custom") | ~Q(title=""), name="milestone_custom_has_title"
            ),
            models.CheckConstraint(
                condition=Q(planned_date__isnull=False) | Q(actual_date__isnull=False),
                name="milestone_has_a_date",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return self.title or str(self.get_kind_display())

    @property
    def date(self):
        return self.actual_date or self.planned_date

    def clean(self):
        if self.kind == self.Kind.CUSTOM and not self.title:
            raise ValidationError({"title": _("Give a milestone of kind Other a title.")})
        if not self.planned_date and not self.actual_date:
            raise ValidationError(_("Give a planned or an actual date."))


class Indicator(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="indicators"
    )
    name = models.CharField(_("name"), max_length=200, validators=[no_invisible_controls])
    unit = models.CharField(_("unit"), max_length=40)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, default=0)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    actual = models.DecimalField(
        _("actual"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    illustrative = models.BooleanField(_("illustrative"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["project", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(target=F("baseline")), name="indicator_target_differs_from_baseline"
            ),
            models.UniqueConstraint(fields=["project", "name"], name="indicator_name_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def progress(self) -> Decimal | None:
        """Share of the way from baseline to target, 0–1, or None before any actual is known."""
        if self.actual is None:
            return None
        share = (self.actual - self.baseline) / (self.target - self.baseline)
        return min(max(share, Decimal(0)), Decimal(1))


class ProgressUpdate(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="updates"
    )
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200, validators=[no_invisible_controls])
    text = models.TextField(_("text"), blank=True, max_length=10000)
    published = models.BooleanField(_("published"), default=False)
    illustrative = models.BooleanField(_("illustrative"), default=False)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="progress_updates",
        help_text=_("The partner organisation that reported it; empty when staff wrote it."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "date", "title"], name="progress_update_unique"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.title}"

    def clean(self):
        # A day of slack for partners a time zone ahead.
        if self.date and self.date > timezone.localdate() + datetime.timedelta(days=1):
            raise ValidationError(
                {
                    "date": _(
                        "An update reports what has happened: the date cannot be in the future."
                    )
                }
            )


def photo_path(instance, filename):
    return f"projects/{instance.project.code}/{filename}"


class Photo(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="photos"
    )
    update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("progress update"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
        help_text=_("Leave empty for a photo of the project itself."),
    )
    image = models.ImageField(_("image"), upload_to=photo_path)
    caption = models.CharField(
        _("caption"), max_length=300, help_text=_("Also read aloud to visitors who cannot see it.")
    )
    taken_on = models.DateField(_("taken on"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    thumbnail = ImageSpecField(
        source="image", processors=[ResizeToFill(400, 300)], format="JPEG", options={"quality": 82}
    )
    display = ImageSpecField(
        source="image", processors=[ResizeToFit(1600, 1200)], format="JPEG", options={"quality": 85}
    )

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["project", "order", "id"]

    def __str__(self):
        return self.caption

    def clean(self):
        if (
            self.project_id
            and self.update is not None
            and self.update.project_id != self.project_id
        ):
            raise ValidationError({"update": _("The update belongs to another project.")})


class TimelineEvent(models.Model):
    """A dated public event in the programme's history (大事记)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="events"
    )
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    title = models.CharField(_("title"), max_length=200, validators=[no_invisible_controls])
    text = models.TextField(_("text"), blank=True)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    published = models.BooleanField(_("published"), default=False)
    illustrative = models.BooleanField(_("illustrative"), default=False)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "date", "title"], name="timeline_event_unique"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.title}"


class ProjectRollup(models.Model):
    """How many projects, and how much planned investment, each group of a programme's projects
    holds: those sharing publication, field, category, status and whether they are flagships.
    The home page's figures add up these few rows instead of reading every project.

    Database triggers keep them in the same transaction as every statement that inserts,
    updates or deletes projects, bulk ones and raw SQL included (`projects.rollups`);
    `manage.py check_ledger` compares them with the projects. The runtime role only reads them.
    """

    # Only the triggers write or delete these rows: a programme with projects cannot be deleted,
    # and one without has none.
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.DO_NOTHING, related_name="+"
    )
    published = models.BooleanField(_("published"))
    field = models.CharField(_("field"), max_length=12)
    category = models.CharField(_("category"), max_length=16)
    status = models.CharField(_("status"), max_length=16)
    flagship = models.BooleanField(_("flagship project"))
    # A plain integer: an upsert proposes a negative difference as a new row before it meets the
    # existing one.
    projects = models.IntegerField(_("projects"), default=0)
    planned_investment = MoneyField(
        _("planned investment (CNY)"), max_digits=SUM_DIGITS, default=Decimal("0")
    )

    class Meta:
        verbose_name = _("project counts")
        verbose_name_plural = _("project counts")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "published", "field", "category", "status", "flagship"],
                name="project_rollup_group_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.field}/{self.category}/{self.status}: {self.projects}"


# The lifecycle (申报 → 联审 → 批复 → 实施 → 竣工 → 验收 → 移交): its steps and plan adjustments.
# projects.lifecycle is the only code that writes them.


class WorkflowStep(ActorMixin, models.Model):
    """One step of a project's lifecycle: who took it, when, on which document, saying what."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("submit for joint review")
        REVIEW = "review", _("record a review opinion")
        APPROVE = "approve", _("approve")
        RETURN = "return", _("return")
        START = "start", _("start work")
        COMPLETE = "complete", _("complete")
        ACCEPT = "accept", _("accept")
        HAND_OVER = "hand_over", _("hand over")
        WITHDRAW = "withdraw", _("withdraw")

    class Side(models.TextChoices):
        DONOR = "donor", _("donor side")
        PARTNER = "partner", _("partner side")

    class Opinion(models.TextChoices):
        AGREE = "agree", _("agree")
        DISAGREE = "disagree", _("disagree")

    class Result(models.TextChoices):
        PASSED = "passed", _("passed")
        PASSED_WITH_REMARKS = "remarks", _("passed with remarks")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="steps"
    )
    action = models.CharField(_("step"), max_length=10, choices=Action.choices)
    from_stage = models.CharField(_("from stage"), max_length=12, choices=Stage.choices)
    to_stage = models.CharField(_("to stage"), max_length=12, choices=Stage.choices)
    date = models.DateField(
        _("date"), null=True, blank=True, help_text=_("Empty where the source does not say.")
    )
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    side = models.CharField(_("side"), max_length=7, choices=Side.choices, blank=True)
    opinion = models.CharField(_("opinion"), max_length=8, choices=Opinion.choices, blank=True)
    amount = MoneyField(_("approved amount (CNY)"), null=True, blank=True)
    result = models.CharField(
        _("acceptance result"), max_length=7, choices=Result.choices, blank=True
    )
    comment = models.TextField(_("comment"), blank=True, max_length=5000)
    comment_public = models.BooleanField(_("comment is public"), default=False)
    illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_("Its reviewer and document number are made up for the demonstration."),
    )
    at = models.DateTimeField(_("recorded at"), default=timezone.now)
    user, api_key = actor_columns(user_label=_("staff member"), key_label=_("API key"))

    class Meta:
        verbose_name = _("lifecycle step")
        verbose_name_plural = _("lifecycle steps")
        ordering = ["project", "at", "id"]
        # Public pages read the newest step on every request (selectors.data_as_of).
        indexes = [models.Index(fields=["at"], name="projects_workflowstep_at")]
        permissions = [
            ("propose_project", _("Can propose projects and submit or withdraw proposals")),
            ("review_project_donor", _("Can review projects for the donor side")),
            ("review_project_partner", _("Can review projects for the partner side")),
            ("approve_project", _("Can approve projects and plan adjustments")),
            ("run_project", _("Can record a project's start, completion, acceptance, handover")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    action="review",
                    side__in=["donor", "partner"],
                    opinion__in=["agree", "disagree"],
                )
                | (~Q(action="review") & Q(side="", opinion="")),
                name="workflow_step_review_has_side_and_opinion",
            ),
            models.CheckConstraint(
                condition=~Q(action="approve") | Q(amount__gte=0),
                name="workflow_step_approval_has_amount",
            ),
            models.CheckConstraint(
                condition=~Q(action="accept") | ~Q(result=""),
                name="workflow_step_acceptance_has_result",
            ),
        ]

    def __str__(self):
        return f"{self.project.code} {self.get_action_display()}"

    @property
    def public_comment(self) -> str:
        return self.comment if self.comment_public else ""


class PlanAdjustment(models.Model):
    """A change of an approved project's planned investment or scope (调整): it counts only
    once approved, and every request stays as a version of the plan."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", pgettext_lazy("plan adjustment", "approved")
        REJECTED = "rejected", pgettext_lazy("plan adjustment", "rejected")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="adjustments"
    )
    planned_investment = MoneyField(
        _("planned investment (CNY)"), validators=[MinValueValidator(Decimal("0"))]
    )
    previous_investment = MoneyField(_("planned investment before (CNY)"))
    scope = models.TextField(
        _("scope of work"),
        blank=True,
        max_length=5000,
        help_text=_("The changed scope, if it changes."),
    )
    reason = models.TextField(_("reason"), max_length=5000)
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decision recorded at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True, max_length=5000)

    class Meta:
        verbose_name = _("plan adjustment")
        verbose_name_plural = _("plan adjustments")
        ordering = ["project", "requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status="requested"),
                name="plan_adjustment_one_open_per_project",
            ),
            models.CheckConstraint(
                condition=Q(planned_investment__gte=0), name="plan_adjustment_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="requested") | Q(decided_on__isnull=False),
                name="plan_adjustment_decision_dated",
            ),
        ]

    def __str__(self):
        return f"{self.project.code} {self.planned_investment} ({self.get_status_display()})"


# Inspections and rectification live in their own module; imported here for Django to find them.
from projects.inspections import Finding, Inspection, InspectionDocument  # noqa: E402, F401
