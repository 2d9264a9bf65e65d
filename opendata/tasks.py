"""Open data's Celery task: a dataset's XLSX built in the background (opendata.exports)."""

from celery import shared_task

from opendata import exports


@shared_task(ignore_result=True)
def build_export(name: str) -> None:
    exports.build_queued(name)
