"""The funding app's periodic task (celery beat, CELERY_BEAT_SCHEDULE): the nightly ledger
check."""

import io

from celery import shared_task
from django.core.management import CommandError, call_command

from funding import services
from funding.models import LedgerCheck


@shared_task(ignore_result=True)
def check_ledger() -> None:
    """`manage.py check_ledger`, nightly. The command records its run, so a failure waits on the
    finance staff's desk; it is also e-mailed to them."""
    try:
        call_command("check_ledger", stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError:
        services.alert_failed_ledger_check(check=LedgerCheck.objects.latest("ran_at", "id"))
