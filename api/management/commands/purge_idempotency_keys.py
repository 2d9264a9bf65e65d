from typing import Any

from django.core.management.base import BaseCommand

from api.idempotency import purge_expired


class Command(BaseCommand):
    help = "Delete stored Idempotency-Key answers older than IDEMPOTENCY_KEY_TTL_HOURS (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Deleted {purge_expired()} expired idempotency records.")
