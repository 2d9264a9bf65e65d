"""The one record the ground floor keeps: a spreadsheet import run in the background."""

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """A file too large to import while the uploader waits: who sent it, what it is, how far the
    worker has got and, when it is refused, every problem by row and column. All rows are
    written or none, as in the foreground."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        CHECKING = "checking", _("checking rows")
        WRITING = "writing", _("writing rows")
        DONE = "done", _("done")
        FAILED = "failed", _("refused: nothing written")

    RUNNING = (Status.QUEUED, Status.CHECKING, Status.WRITING)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True, db_index=True)
    # The importer's dotted path, and the permission one needs to start it or read the job.
    importer = models.CharField(_("importer"), max_length=200)
    permission = models.CharField(_("permission"), max_length=100, db_index=True)
    filename = models.CharField(_("file"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    # The upload itself until the job ends; emptied then.
    content = models.BinaryField(_("content"), editable=False)
    dry_run = models.BooleanField(_("only checked"), default=False)
    # The uploader's language, in which the worker writes the problems.
    language = models.CharField(_("language"), max_length=10, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    # [row or null, column, message] for each problem, as the foreground report lists them.
    problems = models.JSONField(_("problems"), default=list, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]
        # Visibility follows the permission to import, not a permission on the job itself.
        default_permissions = ()
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rows_written__lte=models.F("rows_checked")),
                name="import_job_writes_only_checked_rows",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def records(self) -> str:
        """What the file holds, in the reader's language: the model its permission adds."""
        app_label, codename = self.permission.split(".")
        model = apps.get_model(app_label, codename.removeprefix("add_"))
        return str(model._meta.verbose_name_plural)
