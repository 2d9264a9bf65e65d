"""Education aid: sponsored classes (援藏班), their cohorts, students, exams and results.

Students are minors. Everything about a student is restricted: only staff with the education role
and the host school's own API key read it, and every such read is logged (`AccessLogEntry`).
The public sees cohort-level figures from `education.selectors`, suppressed below
EDUCATION_MIN_GROUP_SIZE. A student is never deleted while results refer to them (PROTECT):
`education.services.anonymise_student` blanks the person and keeps the results.

Students have no change history on purpose: a history table would keep the names and birth dates
that anonymisation erases. Results, enrolments and cohorts keep theirs.
"""

import secrets
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from api.actors import ActorMixin, actor_columns
from reference.models import (
    DatePrecision,
    IllustrativeFieldsMixin,
    Organisation,
    Place,
    Programme,
    ReportedFigure,
)
from reference.validators import no_invisible_controls

SCORE: dict[str, Any] = {"max_digits": 6, "decimal_places": 1}


def new_public_id() -> str:
    """A random pseudonym: nothing about the student can be read from it."""
    return "S" + secrets.token_hex(6).upper()


class SponsoredProgramme(models.Model):
    """A sponsored class such as the 海亮援藏班, within a donor–partner pairing."""

    pairing = models.ForeignKey(
        Programme,
        verbose_name=_("pairing"),
        on_delete=models.PROTECT,
        related_name="sponsored_programmes",
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, validators=[no_invisible_controls])
    description = models.TextField(_("description"), blank=True)
    host_school = models.ForeignKey(
        Organisation,
        verbose_name=_("host school"),
        on_delete=models.PROTECT,
        related_name="hosted_programmes",
        help_text=_("Its API keys read and write this programme's students and results."),
    )
    partner = models.ForeignKey(
        Organisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        related_name="partnered_programmes",
        null=True,
        blank=True,
    )
    started_on = models.DateField(_("opened on"))
    investment = models.ForeignKey(
        ReportedFigure,
        verbose_name=_("money invested (reported figure)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    enrolled = models.ForeignKey(
        ReportedFigure,
        verbose_name=_("students enrolled to date (reported figure)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The headline as the source states it; the intakes per year may add up to more."
        ),
    )

    class Meta:
        verbose_name = _("sponsored programme")
        verbose_name_plural = _("sponsored programmes")
        ordering = ["started_on", "code"]

    def __str__(self):
        return self.name


class Cohort(IllustrativeFieldsMixin, models.Model):
    """One year's intake of a sponsored programme."""

    ILLUSTRATIVE_CHOICES = ("reported_intake", "planned_size")

    programme = models.ForeignKey(
        SponsoredProgramme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="cohorts",
    )
    intake_year = models.PositiveSmallIntegerField(
        _("intake year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    grade = models.PositiveSmallIntegerField(
        _("grade at intake"),
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("School grade the cohort starts in (7 = first year of junior middle school)."),
    )
    planned_size = models.PositiveSmallIntegerField(_("planned size"), null=True, blank=True)
    reported_intake = models.PositiveSmallIntegerField(
        _("reported intake"),
        null=True,
        blank=True,
        help_text=_("Students admitted as a source states, for when no enrolments are recorded."),
    )
    source = models.CharField(_("source"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["programme", "intake_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "intake_year"], name="cohort_one_per_intake_year"
            ),
            models.CheckConstraint(
                condition=Q(intake_year__gte=2000, intake_year__lte=2100),
                name="cohort_intake_year_range",
            ),
            models.CheckConstraint(
                condition=Q(grade__gte=1, grade__lte=12), name="cohort_grade_range"
            ),
        ]

    def __str__(self):
        return f"{self.programme} {self.intake_year}"


class Student(models.Model):
    """A pupil. Every field but `public_id` is personal data: restricted, and blanked on
    anonymisation."""

    class Gender(models.TextChoices):
        FEMALE = "female", _("female")
        MALE = "male", _("male")
        UNSTATED = "", _("not recorded")

    public_id = models.CharField(
        _("public id"), max_length=16, unique=True, default=new_public_id, editable=False
    )
    name = models.CharField(
        _("name"), max_length=80, blank=True, validators=[no_invisible_controls]
    )
    gender = models.CharField(
        _("gender"), max_length=6, choices=Gender.choices, blank=True, default=""
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    home_township = models.ForeignKey(
        Place,
        verbose_name=_("home township"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"level": "township"},
    )
    guardian_contact = models.CharField(_("guardian contact"), max_length=200, blank=True)
    consent_given = models.BooleanField(_("guardian consent given"), default=False)
    consent_date = models.DateField(_("consent date"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)
    anonymised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("anonymised by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["public_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_date__isnull=True) | Q(consent_given=True),
                name="student_consent_date_needs_consent",
            ),
            models.CheckConstraint(
                condition=Q(anonymised_at__isnull=True)
                | Q(
                    name="",
                    gender="",
                    birth_date__isnull=True,
                    home_township__isnull=True,
                    guardian_contact="",
                ),
                name="student_anonymised_is_blank",
            ),
        ]

    def __str__(self):
        return self.public_id


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        TRANSFERRED = "transferred", _("transferred")
        WITHDRAWN = "withdrawn", pgettext_lazy("enrolment", "withdrawn")
        GRADUATED = "graduated", _("graduated")

    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.PROTECT, related_name="enrolments"
    )
    cohort = models.ForeignKey(
        Cohort, verbose_name=_("cohort"), on_delete=models.PROTECT, related_name="enrolments"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ENROLLED
    )
    enrolled_on = models.DateField(_("enrolled on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["cohort", "student"]
        constraints = [
            models.UniqueConstraint(fields=["student", "cohort"], name="enrolment_once_per_cohort"),
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(status="enrolled"),
                name="enrolment_one_current_per_student",
            ),
            models.CheckConstraint(
                condition=Q(status="enrolled", left_on__isnull=True)
                | (~Q(status="enrolled") & Q(left_on__isnull=False)),
                name="enrolment_left_on_iff_left",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("enrolled_on")),
                name="enrolment_leaves_after_enrolling",
            ),
        ]

    def __str__(self):
        return f"{self.student} · {self.cohort}"


class Exam(models.Model):
    """An exam students sit, such as the 2023 中考, ranked over an area such as the district."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120, validators=[no_invisible_controls])
    date = models.DateField(_("date"))
    date_precision = models.CharField(
        _("date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    maximum_score = models.DecimalField(_("maximum score"), **SCORE)
    ranking_area = models.ForeignKey(
        Place,
        verbose_name=_("ranking area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    area_top_n = models.PositiveSmallIntegerField(
        _("area's top N"),
        null=True,
        blank=True,
        help_text=_("Figures count how many of the area's top N came from a cohort."),
    )

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ["date", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(maximum_score__gt=0), name="exam_maximum_positive"),
            models.CheckConstraint(
                condition=Q(area_top_n__isnull=True) | Q(area_top_n__gte=1),
                name="exam_top_n_positive",
            ),
        ]

    def __str__(self):
        return self.name


class ExamResult(models.Model):
    """One student's result. Restricted: never public, not even as a single anonymous row."""

    student = models.ForeignKey(
        Student, verbose_name=_("student"), on_delete=models.PROTECT, related_name="results"
    )
    exam = models.ForeignKey(
        Exam, verbose_name=_("exam"), on_delete=models.PROTECT, related_name="results"
    )
    cohort = models.ForeignKey(
        Cohort,
        verbose_name=_("cohort"),
        on_delete=models.PROTECT,
        related_name="results",
        help_text=_("The cohort the student sat the exam with."),
    )
    absent = models.BooleanField(_("absent"), default=False)
    score = models.DecimalField(_("score"), **SCORE, null=True, blank=True)
    area_rank = models.PositiveIntegerField(
        _("rank in the area"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("exam result")
        verbose_name_plural = _("exam results")
        ordering = ["exam", "cohort", "student"]
        constraints = [
            models.UniqueConstraint(fields=["student", "exam"], name="result_once_per_exam"),
            models.CheckConstraint(
                condition=Q(absent=True, score__isnull=True, area_rank__isnull=True)
                | Q(absent=False, score__isnull=False),
                name="result_absent_has_no_score",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0), name="result_score_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(area_rank__isnull=True) | Q(area_rank__gte=1),
                name="result_rank_positive",
            ),
        ]

    def __str__(self):
        return f"{self.student} · {self.exam}"


class ReportedCohortFigure(models.Model):
    """A cohort's result as a source reports it, for when no individual results are recorded.
    Used only while the cohort has no results for the exam: the two are never mixed."""

    exam = models.ForeignKey(
        Exam, verbose_name=_("exam"), on_delete=models.PROTECT, related_name="reported_figures"
    )
    cohort = models.ForeignKey(
        Cohort, verbose_name=_("cohort"), on_delete=models.PROTECT, related_name="reported_figures"
    )
    students = models.PositiveSmallIntegerField(_("students sitting"))
    mean = models.DecimalField(_("mean score"), **SCORE, null=True, blank=True)
    top_score = models.DecimalField(_("top score"), **SCORE, null=True, blank=True)
    in_area_top_n = models.PositiveSmallIntegerField(
        _("in the area's top N"), null=True, blank=True
    )
    source = models.CharField(_("source"), max_length=300)
    as_of = models.DateField(_("as of"))

    class Meta:
        verbose_name = _("reported cohort figure")
        verbose_name_plural = _("reported cohort figures")
        ordering = ["exam", "cohort"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "cohort"], name="reported_figure_once"),
            models.CheckConstraint(
                condition=Q(in_area_top_n__isnull=True) | Q(in_area_top_n__lte=F("students")),
                name="reported_top_n_within_students",
            ),
            models.CheckConstraint(
                condition=Q(mean__isnull=True)
                | Q(top_score__isnull=True)
                | Q(mean__lte=F("top_score")),
                name="reported_mean_not_above_top",
            ),
        ]

    def __str__(self):
        return f"{self.exam} · {self.cohort}"


class ResultsRelease(models.Model):
    """A cohort's figures for one exam as published, frozen when made. The public page, the home
    page and the API show the latest release of each cohort and exam, never figures computed
    live, so that a result added today changes nothing public until staff release again, and
    `education.services.release_results` refuses a release that, compared with an earlier one,
    would reveal a few students' scores. Releases are append-only: a trigger refuses any change
    or deletion, and each new one supersedes the previous release of its cohort and exam."""

    class Basis(models.TextChoices):
        RECORDED = "recorded", _("computed from results")
        REPORTED = "reported", _("reported")

    cohort = models.ForeignKey(
        Cohort, verbose_name=_("cohort"), on_delete=models.PROTECT, related_name="releases"
    )
    exam = models.ForeignKey(
        Exam, verbose_name=_("exam"), on_delete=models.PROTECT, related_name="releases"
    )
    number = models.PositiveSmallIntegerField(
        _("release number"), help_text=_("1 for the cohort's first release for the exam.")
    )
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices)
    source = models.CharField(_("source"), max_length=300, blank=True)
    # Each figure as {"value", "reason"}: the value published, or null and why not.
    figures = models.JSONField(_("published figures"))
    # Not published: the numbers behind the figures, to compare the next release with.
    counts = models.JSONField(_("counts"), default=dict)
    result_ids = models.JSONField(_("results released"), default=list)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a release the demo loader made from a reported figure."),
    )
    released_at = models.DateTimeField(_("released"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("results release")
        verbose_name_plural = _("results releases")
        # The newest is read on every public request (core.newest): one index lookup.
        indexes = [models.Index(fields=["released_at"], name="results_release_released_at")]
        ordering = ["-released_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "exam", "number"], name="release_number_once"
            ),
            models.CheckConstraint(
                condition=Q(number=1, supersedes__isnull=True)
                | Q(number__gt=1, supersedes__isnull=False),
                name="release_first_supersedes_nothing",
            ),
            models.CheckConstraint(
                condition=Q(basis__in=["recorded", "reported"]), name="release_basis_known"
            ),
        ]

    def __str__(self):
        return f"{self.cohort} · {self.exam} #{self.number}"


class Placement(IllustrativeFieldsMixin, models.Model):
    """Internships and jobs after graduation: one student's, or a group a source reports."""

    ILLUSTRATIVE_CHOICES = ("employer", "city", "start_date")

    class Kind(models.TextChoices):
        INTERNSHIP = "internship", _("internship")
        JOB = "job", _("job")

    pairing = models.ForeignKey(
        Programme, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="+"
    )
    programme = models.ForeignKey(
        SponsoredProgramme,
        verbose_name=_("sponsored programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
        help_text=_("Empty for graduates from the partner district who were not in a class."),
    )
    student = models.ForeignKey(
        Student,
        verbose_name=_("student"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    headcount = models.PositiveSmallIntegerField(
        _("people"), default=1, validators=[MinValueValidator(1)]
    )
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    province = models.CharField(_("province"), max_length=40)
    start_date = models.DateField(_("start date"))
    event = models.CharField(
        _("arranged through"), max_length=200, blank=True, help_text=_("A job fair, say.")
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(headcount__gte=1), name="placement_headcount"),
            models.CheckConstraint(
                condition=Q(student__isnull=True) | Q(headcount=1),
                name="placement_of_a_student_is_one",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.province} {self.city}".strip()


class AccessLogEntry(ActorMixin, models.Model):
    """One read of student-level records: who, when, which records, where. Written in the same
    request as the read; never changed."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user, api_key = actor_columns(user_label=_("staff member"), key_label=_("API key"))
    model = models.CharField(_("records of"), max_length=60)
    object_ids = models.JSONField(_("record ids"), default=list)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=500)

    class Meta:
        verbose_name = _("student-record access")
        verbose_name_plural = _("student-record access log")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(api_key__isnull=False),
                name="access_log_names_a_reader",
            ),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.model} ×{len(self.object_ids)}"
