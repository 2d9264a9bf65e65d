"""Spreadsheet imports in the background: a job is recorded with the upload, a Celery worker
checks and writes it (all rows or none, as in the foreground) and the job keeps its progress
and, when refused, every problem by row and column.

Files larger than IMPORT_BACKGROUND_BYTES go this way from the admin's import pages; smaller
ones are imported while the uploader waits. Only who may import the records (the permission
the job records) may start a job or read it.
"""

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_noop

from core.imports import ROW_LEVEL, Importer, Report
from core.models import ImportJob
from core.tables import Problem, UnreadableFile, read_table

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

STOPPED = gettext_noop(
    "The import stopped on an unexpected error and nothing was written. Upload the file again; "
    "if it stops again, tell the portal's administrators."
)
# How often a running job stores how many rows it has checked.
PROGRESS_EVERY = 1000


def import_permission(importer: type[Importer[Any]]) -> str:
    """The permission that lets staff import the importer's records: adding them."""
    opts = importer.model._meta
    return f"{opts.app_label}.add_{opts.model_name}"


@transaction.atomic
def start_import(
    *,
    importer: type[Importer[Any]],
    content: bytes,
    filename: str,
    started_by: "User",
    dry_run: bool = False,
) -> ImportJob:
    """Record an import job and queue it for the worker once this transaction commits. Refused
    (PermissionDenied) to anyone who may not add the importer's records."""
    permission = import_permission(importer)
    if not started_by.has_perm(permission):
        raise PermissionDenied
    job = ImportJob.objects.create(
        created_by=started_by,
        importer=f"{importer.__module__}.{importer.__qualname__}",
        permission=permission,
        filename=filename[:255],
        size=len(content),
        content=content,
        dry_run=dry_run,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id: int) -> None:
    from core.tasks import run_import  # which imports this module

    run_import.delay(job_id)


def visible_jobs(user: "User | AnonymousUser") -> QuerySet[ImportJob]:
    """The jobs of the records the user may import; none for anyone else."""
    if not user.is_active or not user.is_staff:
        return ImportJob.objects.none()
    if user.is_superuser:
        return ImportJob.objects.all()
    permissions = ImportJob.objects.values_list("permission", flat=True).distinct()
    allowed = [permission for permission in permissions if user.has_perm(permission)]
    return ImportJob.objects.filter(permission__in=allowed)


class Progress:
    """The job's count of rows checked, stored every PROGRESS_EVERY rows while checking (the
    writing runs in one transaction: nobody would see its count before it ends)."""

    def __init__(self, job_id: int) -> None:
        self.jobs = ImportJob.objects.filter(pk=job_id)
        self.checking = True

    def __call__(self, rows: Iterable[Any], total: int, stage: str) -> Iterator[Any]:
        if not self.checking:
            yield from rows
            return
        self.jobs.update(rows_total=total, rows_checked=0)
        done = 0
        for done, row in enumerate(rows, start=1):
            if done % PROGRESS_EVERY == 0:
                self.jobs.update(rows_checked=done)
            yield row
        self.jobs.update(rows_checked=done)


def run_import(job_id: int) -> None:
    """The worker's side: check the job's file, write it unless it has a problem, and record
    the outcome. A job that has ended is left alone (a task delivered twice)."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not job.running:
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.CHECKING, started_at=timezone.now()
    )
    importer_class: type[Importer[Any]] = import_string(job.importer)
    progress = Progress(job.pk)
    importer = importer_class.for_user(job.created_by, track=progress)
    report: Report[Any]
    with translation.override(job.language):
        try:
            report = _check_and_write(job, importer, progress)
        except Exception:
            # The write is one transaction: an error anywhere leaves nothing written.
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.FAILED,
                problems=[[None, ROW_LEVEL, gettext(STOPPED)]],
                finished_at=timezone.now(),
            )
            raise
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE if report.ok else ImportJob.Status.FAILED,
        rows_written=len(report.rows) if report.written else 0,
        problems=[[problem.row, problem.column, problem.message] for problem in report.problems],
        content=b"",
        finished_at=timezone.now(),
    )


def _check_and_write(job: ImportJob, importer: Importer[Any], progress: Progress) -> Report[Any]:
    try:
        table = read_table(bytes(job.content), job.filename)
    except UnreadableFile as error:
        return importer.report_class(problems=[Problem(None, ROW_LEVEL, str(error))])
    report = importer.check(table)
    if report.ok and not job.dry_run:
        progress.checking = False
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.WRITING)
        importer.write(report)
    return report
