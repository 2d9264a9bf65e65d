"""The Prometheus metrics endpoint, /metrics, for whoever holds METRICS_TOKEN.

django-prometheus counts requests, their latencies by view, and database queries, errors and
connections by alias (its middleware and database backends, see settings). Each scrape adds what
is read at that moment: the tasks waiting in each Celery queue and the replica's replay lag.
Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (an empty directory shared by
the workers) so that a scrape sums every worker's counts, not one worker's.

Without METRICS_TOKEN the endpoint does not exist (404): behind a proxy on the same machine every
visitor's address is the loopback one, so an address is no proof of being the monitoring server.
"""

import hmac
import os

import prometheus_client
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu.exceptions import ChannelError
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from aidportal.celery import app
from aidportal.database.replica import REPLICA, replica_configured


class CeleryQueueCollector(Collector):
    """How many tasks wait in each queue the workers consume, read from the broker."""

    def collect(self):
        up = GaugeMetricFamily(
            "aidportal_celery_broker_up", "Whether the Celery broker answered this scrape."
        )
        depth = GaugeMetricFamily(
            "aidportal_celery_queue_length",
            "Tasks waiting in the broker, by queue.",
            labels=["queue"],
        )
        if app.conf.task_always_eager:  # no broker: tasks run in the process that sends them
            return
        queues = sorted(app.amqp.queues) or [app.conf.task_default_queue]
        try:
            with app.connection_for_read() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
                channel = connection.default_channel
                for queue in queues:
                    try:
                        declared = channel.queue_declare(queue=queue, passive=True)
                    except ChannelError:  # no task has been queued there yet
                        depth.add_metric([queue], 0)
                    else:
                        depth.add_metric([queue], declared.message_count)
        except Exception:  # noqa: BLE001 - an unreachable broker is a value, not a failed scrape
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield depth


class ReplicaLagCollector(Collector):
    """Seconds since the last change the replica replayed (0 when it has replayed all it got)."""

    def collect(self):
        if not replica_configured():
            return
        lag = GaugeMetricFamily(
            "aidportal_replica_lag_seconds",
            "Age of the last transaction the read replica replayed, 0 when it is up to date.",
        )
        try:
            with connections[REPLICA].cursor() as cursor:
                cursor.execute(
                    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
                    "THEN 0 ELSE coalesce(extract(epoch FROM now() - "
                    "pg_last_xact_replay_timestamp()), 0) END"
                )
                lag.add_metric([], float(cursor.fetchone()[0]))
        except DatabaseError:
            return
        yield lag


def process_registry() -> prometheus_client.CollectorRegistry:
    """Every worker's counters with PROMETHEUS_MULTIPROC_DIR, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def scrape_registry() -> prometheus_client.CollectorRegistry:
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    registry.register(CeleryQueueCollector())
    registry.register(ReplicaLagCollector())
    return registry


def authorised(request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.METRICS_TOKEN.encode()
    )


@never_cache
@require_safe
def metrics(request):
    if not settings.METRICS_TOKEN:
        raise Http404
    if not authorised(request):
        response = HttpResponse(
            _("Send the metrics token: Authorization: Bearer <token>.") + "\n", status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    body = prometheus_client.generate_latest(process_registry())
    body += prometheus_client.generate_latest(scrape_registry())
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
