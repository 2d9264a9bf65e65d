"""The one record open data keeps: a dataset's file built in the background (opendata.exports)."""

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class Export(models.Model):
    """A dataset's file as built by the worker from the data as of `data_as_of` (the dataset's
    `changed()` then), with the code `code_version` names: its rows, where it is stored and how
    long it took. Recorded once the file is whole and never changed; a newer build of the
    dataset replaces it (row and file)."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"

    dataset = models.CharField(_("dataset"), max_length=50)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    # Null when no record behind the dataset has ever changed (an empty dataset).
    data_as_of = models.DateTimeField(_("data as of"), null=True, blank=True)
    code_version = models.CharField(_("code version"), max_length=16)
    rows = models.PositiveIntegerField(_("rows"))
    # The file's name in the "exports" storage (settings.STORAGES).
    file = models.CharField(_("file"), max_length=255, unique=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    built_at = models.DateTimeField(_("built"))
    seconds = models.FloatField(_("build time (seconds)"))

    class Meta:
        verbose_name = _("data file")
        verbose_name_plural = _("data files")
        ordering = ["dataset", "format", "-built_at"]
        constraints = [
            # One build of a dataset's data as of a time, by one version of the code (of a
            # dataset no record has changed yet, NULL, the newest build replaces the others).
            models.UniqueConstraint(
                fields=["dataset", "format", "data_as_of", "code_version"],
                name="export_once_per_data_and_code",
            ),
            models.CheckConstraint(condition=models.Q(seconds__gte=0), name="export_seconds"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset}.{self.format} ({self.data_as_of})"

    @property
    def as_of(self) -> datetime.datetime:
        """The time its data is as of: the latest change then, else (no record had ever changed)
        when it was built."""
        return self.data_as_of or self.built_at
