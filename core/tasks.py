"""The ground floor's Celery tasks: spreadsheet imports too large to run while the uploader
waits (core.jobs)."""

from celery import shared_task

from core import jobs


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]  # Celery has no types
def run_import(job_id: int) -> None:
    jobs.run_import(job_id)
