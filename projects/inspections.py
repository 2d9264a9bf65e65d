"""Inspections (督查/检查) of a project and the rectification (整改) of what they find.

An inspection records its date and team, its findings and its photos or documents. Each finding
has a severity and a deadline; it is rectified with evidence, then closed by a reviewer who is
not the person who rectified it (`projects.services.finding_close`). A finding still open after
its deadline is overdue. The public sees counts and dates only, and a finding's text once staff
publish it. Both keep their change history.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from projects.models import Project
from reference.dates import check_reported_date
from reference.validators import no_invisible_controls


class Inspection(models.Model):
    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="inspections"
    )
    date = models.DateField(_("date"))
    team = models.CharField(
        _("team"),
        max_length=300,
        validators=[no_invisible_controls],
        help_text=_("Who inspected: the team or its members and their units."),
    )
    illustrative = models.BooleanField(_("illustrative"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Every change is kept; the newest tells the public pages that their counts changed.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "date", "team"], name="inspection_unique_per_day_and_team"
            ),
        ]

    def __str__(self):
        return f"{self.project.code} {self.date}"

    def clean(self):
        # Recorded once it has happened, within the programme's time.
        if self.date and self.project_id is not None:
            check_reported_date(self.date, programme=self.project.programme)


def evidence_path(instance, filename):
    return f"inspections/{instance.inspection.project.code}/{filename}"


class Finding(models.Model):
    class Severity(models.TextChoices):
        MINOR = "minor", _("minor")
        MAJOR = "major", _("major")
        SERIOUS = "serious", _("serious")

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="findings"
    )
    text = models.TextField(_("finding"), max_length=4000, validators=[no_invisible_controls])
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    deadline = models.DateField(_("rectification deadline"))
    published = models.BooleanField(
        _("text published"),
        default=False,
        help_text=_("The public sees that a finding was made and closed, its text only if set."),
    )
    rectification = models.TextField(
        _("rectification"), max_length=4000, blank=True, help_text=_("What was done to rectify it.")
    )
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, blank=True)
    rectified_at = models.DateTimeField(_("rectified"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rectified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(pgettext_lazy("finding", "closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("finding", "closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["deadline", "id"]
        permissions = [("close_finding", _("Can close a rectified finding"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(rectified_at__isnull=True) | ~Q(rectification=""),
                name="finding_rectified_with_evidence",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(rectified_at__isnull=False),
                name="finding_closed_after_rectification",
            ),
            # Four eyes: whoever rectified a finding does not close it.
            models.CheckConstraint(
                condition=Q(closed_by__isnull=True) | ~Q(closed_by=F("rectified_by")),
                name="finding_closed_by_another",
            ),
        ]
        indexes = [
            models.Index(
                fields=["deadline"], condition=Q(closed_at__isnull=True), name="finding_open_idx"
            ),
        ]

    def __str__(self):
        return f"{self.inspection} · {self.get_severity_display()}"

    @staticmethod
    def open_overdue() -> Q:
        """Still open and past its deadline: the one rule the project page, the admin and the
        desk flag a finding by."""
        return Q(closed_at__isnull=True, deadline__lt=timezone.localdate())

    @property
    def overdue(self) -> bool:
        return (
            self.closed_at is None
            and self.deadline is not None
            and self.deadline < timezone.localdate()
        )


def document_path(instance, filename):
    return f"inspections/{instance.inspection.project.code}/{filename}"


class InspectionDocument(models.Model):
    """A photo or document of an inspection: staff-only, like the findings' text."""

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField(_("file"), upload_to=document_path)
    caption = models.CharField(_("caption"), max_length=300, validators=[no_invisible_controls])

    class Meta:
        verbose_name = _("inspection photo or document")
        verbose_name_plural = _("inspection photos and documents")
        ordering = ["inspection", "id"]

    def __str__(self):
        return self.caption
