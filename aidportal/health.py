"""The load balancer's question: can this worker answer and reach its database? It also reports
whether the background tasks' broker answers, which does not make the web worker unhealthy."""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection
from kombu.exceptions import OperationalError


def broker_state() -> str:
    """ "ok", "eager" (no broker: tasks run in the web process), or the error's name."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1)
    except (OperationalError, OSError) as error:
        return type(error).__name__
    return "ok"


@never_cache
@require_safe
def healthz(request):
    broker = broker_state()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return JsonResponse(
            {"status": "unavailable", "database": type(error).__name__, "broker": broker},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok", "broker": broker})
