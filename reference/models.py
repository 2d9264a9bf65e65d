"""Reference data every domain app shares: programmes, organisations, places, plan periods,
aid-team batches and exchanges. Nothing here imports a domain app."""

from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from reference.validators import no_invisible_controls

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
code_validator = RegexValidator(
    CODE_PATTERN,
    _("Use letters, digits, dots, hyphens and underscores, starting with a letter or digit."),
)


class IllustrativeFieldsField(models.JSONField):
    """A JSON list of field names, edited as one checkbox per field the model lets be marked
    illustrative (its ILLUSTRATIVE_CHOICES), labelled with the field's name."""

    def formfield(self, **kwargs):
        names = self.model.ILLUSTRATIVE_CHOICES  # type: ignore[attr-defined]
        return forms.TypedMultipleChoiceField(
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
            required=False,
            choices=[(name, capfirst(self._label(name))) for name in names],
            widget=forms.CheckboxSelectMultiple,
        )

    def _label(self, name: str) -> str:
        field = self.model._meta.get_field(name)
        # A relation listed from the other side (a project's participants) has no verbose name.
        if isinstance(field, models.ForeignObjectRel):
            return str(field.related_model._meta.verbose_name_plural)
        return str(field.verbose_name)

    def deconstruct(self):
        # Stored exactly as a JSONField: only the form differs, so migrations see no change.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs


class IllustrativeFieldsMixin(models.Model):
    """Which of a record's fields no source states: the public pages mark them "illustrative".
    Each model lists the fields that may be so marked in ILLUSTRATIVE_CHOICES."""

    ILLUSTRATIVE_CHOICES: Sequence[str] = ()

    illustrative_fields = IllustrativeFieldsField(
        _("illustrative fields"),
        default=list,
        blank=True,
        help_text=_("Fields whose values no source states; the public page marks them."),
    )

    class Meta:
        abstract = True

    def illustrative_field_errors(self) -> dict[str, str]:
        values = self.illustrative_fields
        unknown = set(values or []) - set(self.ILLUSTRATIVE_CHOICES)
        if isinstance(values, list) and not unknown:
            return {}
        names = ", ".join(sorted(map(str, unknown)))
        return {"illustrative_fields": _("Unknown field names: %(names)s") % {"names": names}}

    def clean(self):
        super().clean()
        if errors := self.illustrative_field_errors():
            raise ValidationError(errors)

    def is_illustrative(self, field_name: str) -> bool:
        return field_name in (self.illustrative_fields or [])


class DatePrecision(models.TextChoices):
    """How much of a date the source states: the report often gives only a month."""

    DAY = "day", _("day")
    MONTH = "month", _("month")
    YEAR = "year", _("year")


class Organisation(models.Model):
    class Type(models.TextChoices):
        # Values follow IATI's OrganisationType codelist; the code is `iati_code`.
        GOVERNMENT = "government", _("Government")
        LOCAL_GOVERNMENT = "local_government", _("Local government")
        PUBLIC_BODY = "public_body", _("Other public body")
        NGO = "ngo", _("Non-governmental organisation")
        PRIVATE = "private", _("Private sector")
        ACADEMIC = "academic", _("Academic, training and research")
        OTHER = "other", _("Other")

    IATI_CODES = {
        "government": "10",
        "local_government": "11",
        "public_body": "15",
        "ngo": "22",
        "private": "70",
        "academic": "80",
        "other": "90",
    }

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200, validators=[no_invisible_controls])
    short_name = models.CharField(
        _("short name"), max_length=80, blank=True, validators=[no_invisible_controls]
    )
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.OTHER)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("id")), name="organisation_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def iati_code(self) -> str:
        return self.IATI_CODES[self.type]


class Place(models.Model):
    class Level(models.TextChoices):
        DISTRICT = "district", _("district")
        TOWNSHIP = "township", _("township")
        VILLAGE = "village", _("village")

    # A place's parent must sit exactly one level up.
    PARENT_LEVEL = {"township": "district", "village": "township"}

    name = models.CharField(_("name"), max_length=120, validators=[no_invisible_controls])
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent place"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    admin_code = models.CharField(
        _("administrative code"),
        max_length=12,
        blank=True,
        help_text=_(
            "GB/T 2260 code for a district (6 digits); statistical code below it (9 or 12)."
        ),
        validators=[RegexValidator(r"^(\d{6}|\d{9}|\d{12})$", _("Enter 6, 9 or 12 digits."))],
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["admin_code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["admin_code"], condition=~Q(admin_code=""), name="place_admin_code_unique"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="place_name_unique_in_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="place_top_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(level="district") | Q(parent__isnull=False),
                name="place_below_district_has_parent",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):

        expected = self.PARENT_LEVEL.get(self.level)
        if expected is None and self.parent_id:
            raise ValidationError({"parent": _("A district has no parent place.")})
        if expected and (self.parent is None or self.parent.level != expected):
            raise ValidationError(
                {
                    "parent": _("A %(level)s belongs to a %(parent)s.")
                    % {"level": self.get_level_display(), "parent": self.Level(expected).label}
                }
            )


class Programme(models.Model):
    """A donor–partner pairing such as Hangzhou → Seni. Every record belongs to one."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, validators=[no_invisible_controls])
    description = models.TextField(_("description"), blank=True)
    donor = models.ForeignKey(
        Organisation,
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="donor_programmes",
    )
    partner = models.ForeignKey(
        Organisation,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="partner_programmes",
    )
    partner_place = models.ForeignKey(
        Place, verbose_name=_("partner district"), on_delete=models.PROTECT, null=True, blank=True
    )

    class PartnerLevel(models.TextChoices):
        COUNTY = "county", _("county or district")
        PREFECTURE = "prefecture", _("prefecture or city")
        PROVINCE = "province", _("province or region")

    # The policy figures (grassroots and livelihood shares) and the share they are expected to
    # reach; see funding.selectors.policy_shares.
    partner_level = models.CharField(
        _("partner's level"),
        max_length=10,
        choices=PartnerLevel.choices,
        default=PartnerLevel.COUNTY,
        help_text=_(
            "For the grassroots share (county level and below): with a county-level partner "
            "every project is at county level or below; with a prefecture or a province, only "
            "projects located at a district, township or village."
        ),
    )
    expected_share = models.DecimalField(
        _("expected share (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("80"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("The share of funds expected to go to the grassroots and to livelihoods."),
    )
    started_on = models.DateField(_("pairing began"), null=True, blank=True)
    started_precision = models.CharField(
        _("start date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(donor=F("partner")), name="programme_donor_is_not_partner"
            ),
            models.CheckConstraint(
                condition=Q(expected_share__gte=0, expected_share__lte=100),
                name="programme_expected_share_range",
            ),
        ]

    def __str__(self):
        return self.name


class PlanPeriod(models.Model):
    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="periods"
    )
    code = models.SlugField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=80, validators=[no_invisible_controls])
    start_year = models.PositiveSmallIntegerField(
        _("first year"), validators=[MinValueValidator(1949), MaxValueValidator(2200)]
    )
    end_year = models.PositiveSmallIntegerField(
        _("last year"), validators=[MinValueValidator(1949), MaxValueValidator(2200)]
    )

    class Meta:
        verbose_name = _("plan period")
        verbose_name_plural = _("plan periods")
        ordering = ["programme", "start_year"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="plan_period_code_unique"),
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year")), name="plan_period_end_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.start_year}–{self.end_year})"


class AidTeamBatch(models.Model):
    """One batch (批次) of the aid team. The public sees head counts; members are staff-only."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="batches"
    )
    number = models.PositiveSmallIntegerField(_("batch number"), validators=[MinValueValidator(1)])
    arrived_on = models.DateField(_("arrived"))
    arrived_precision = models.CharField(
        _("arrival date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    leaves_on = models.DateField(
        _("term ends"), null=True, blank=True, help_text=_("The planned end of the batch's term.")
    )
    cadres = models.PositiveSmallIntegerField(_("cadres"), default=0)
    medical = models.PositiveSmallIntegerField(_("medical staff"), default=0)
    teachers = models.PositiveSmallIntegerField(_("teachers"), default=0)
    lawyers = models.PositiveSmallIntegerField(_("lawyers"), default=0)
    others = models.PositiveSmallIntegerField(_("others"), default=0)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("aid-team batch")
        verbose_name_plural = _("aid-team batches")
        ordering = ["programme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="batch_number_unique"),
            models.CheckConstraint(
                condition=Q(leaves_on__isnull=True) | Q(leaves_on__gte=F("arrived_on")),
                name="batch_leaves_after_arrival",
            ),
        ]

    def __str__(self):
        return str(_("Batch %(number)s") % {"number": self.number})

    @property
    def head_count(self) -> int:
        return self.cadres + self.medical + self.teachers + self.lawyers + self.others


class TeamMember(models.Model):
    """A person in a batch. Staff-only: never on a public page or in the public API."""

    class Role(models.TextChoices):
        CADRE = "cadre", _("cadre")
        MEDICAL = "medical", _("medical staff")
        TEACHER = "teacher", _("teacher")
        LAWYER = "lawyer", _("lawyer")
        OTHER = "other", _("other")

    batch = models.ForeignKey(
        AidTeamBatch, verbose_name=_("batch"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("name"), max_length=80, validators=[no_invisible_controls])
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    sending_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("sending organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    position = models.CharField(_("position in the partner district"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["batch", "role", "name"]

    def __str__(self):
        return self.name


class ExchangeVisit(models.Model):
    """Visits (交流) between the two places, recorded one group or one reported total at a time."""

    class Direction(models.TextChoices):
        TO_DONOR = "to_donor", _("partner district to donor city")
        TO_PARTNER = "to_partner", _("donor city to partner district")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="exchanges"
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    title = models.CharField(_("title"), max_length=200, validators=[no_invisible_controls])
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("to"))
    groups = models.PositiveIntegerField(_("groups (batches)"), validators=[MinValueValidator(1)])
    person_times = models.PositiveIntegerField(_("person-times"))
    approximate = models.BooleanField(
        _("approximate"), default=False, help_text=_("The source gives the count as 'over N'.")
    )
    illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_("Not stated by a source; made up for the demo."),
    )

    class Meta:
        verbose_name = _("exchange visit")
        verbose_name_plural = _("exchange visits")
        ordering = ["programme", "-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__gte=F("started_on")), name="exchange_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(person_times__gte=F("groups")), name="exchange_a_person_per_group"
            ),
        ]

    def __str__(self):
        return self.title


class ReportedFigure(models.Model):
    """A figure a source states that no set of records here adds up to (30 years of aid, say)."""

    class Qualifier(models.TextChoices):
        EXACT = "", _("exactly")
        NEARLY = "nearly", _("nearly")
        OVER = "over", _("over")
        ABOUT = "about", _("about")

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="figures"
    )
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=120)
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    qualifier = models.CharField(
        _("qualifier"),
        max_length=6,
        choices=Qualifier.choices,
        blank=True,
        help_text=_("How the source qualifies the value: nearly, over or about."),
    )
    as_of = models.DateField(_("as of"))
    source = models.CharField(_("source"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("reported figure")
        verbose_name_plural = _("reported figures")
        ordering = ["programme", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="reported_figure_unique"),
        ]

    def __str__(self):
        return self.label

    @property
    def approximate(self) -> bool:
        return self.is_approximate(self.qualifier)

    @staticmethod
    def is_approximate(qualifier: str) -> bool:
        """Whether the source qualifies the value (over, nearly, about) rather than states it."""
        return bool(qualifier)
