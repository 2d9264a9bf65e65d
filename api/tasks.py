"""The API's periodic task (celery beat, CELERY_BEAT_SCHEDULE): forgetting old Idempotency-Key
answers."""

from celery import shared_task

from api.idempotency import purge_expired


@shared_task(ignore_result=True)  # type: ignore[untyped-decorator]  # Celery has no types
def purge_idempotency_keys() -> int:
    """`manage.py purge_idempotency_keys`, daily: delete answers older than
    IDEMPOTENCY_KEY_TTL_HOURS; returns how many."""
    return purge_expired()
