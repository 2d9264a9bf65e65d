"""Webhooks delivered by a real Celery worker (a subprocess on the test database, with Redis as
its broker) to a real receiver on 127.0.0.1: signed per Standard Webhooks, retried after a 500,
nothing lost when the worker is killed mid-delivery, in order per record, and an endpoint that
keeps failing is disabled with the reason."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from django.conf import settings
from standardwebhooks import Webhook

from aidportal.celery import app as celery_app
from changes.models import Delivery, Event, WebhookEndpoint
from changes.services import register_endpoint
from tests.conftest import _redis_for_this_worker
from tests.factories import OrganisationFactory, ProjectFactory

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own (the suite empties the cache's between tests).
# Each pytest-xdist worker has its own broker database (9, 10…, below the suite's cache), so a
# Celery worker started by one never takes, or flushes, another's tasks.
BROKER = _redis_for_this_worker(
    os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/9")
)

pytestmark = pytest.mark.usefixtures("transactional_db")


class Receiver:
    """An HTTP server that records every request and answers as `answer(n)` says (n counts from
    1); while `gate` is clear it holds requests open."""

    def __init__(self):
        self.received: list[dict] = []
        self.answer = lambda n: 200
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append({"headers": headers, "body": body.decode()})
                receiver.arrived.set()
                receiver.gate.wait(20)
                status = receiver.answer(len(receiver.received))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(request["body"]) for request in self.received]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.gate.set()
    server.server.shutdown()


class Worker:
    """`celery -A aidportal worker` on the test database; killed, not stopped, when asked."""

    def __init__(self, log: Path, **env: str):
        self.log = log
        self.process = None
        self.env = env  # variables of its own (a cache shared with the test: REDIS_URL)

    def start(self):
        database = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/"
                f"{database['NAME']}"
            ),
            "MIGRATION_DATABASE_URL": "",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": BROKER,
            "WEBHOOK_RETRY_BASE_SECONDS": "0.2",
            "WEBHOOK_RETRY_MAX_SECONDS": "1",
            "WEBHOOK_MAX_FAILURES": "3",
            "WEBHOOK_TIMEOUT_SECONDS": "30",
            **self.env,
        }
        command = [sys.executable, "-m", "celery", "-A", "aidportal", "worker", "--pool=solo"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
        self.handle = self.log.open("a")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT
        )
        wait_for(lambda: "ready." in self.log.read_text(), "the worker to start", self)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.handle.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            # A cold shutdown: the tests wait for nothing the worker still holds.
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(condition, what: str, worker=None, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    log = worker.log.read_text()[-3000:] if worker else ""
    pytest.fail(f"Timed out waiting for {what}.\n{log}")


@pytest.fixture
def worker(tmp_path):
    redis.Redis.from_url(BROKER).flushdb()
    before = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    # This process sends deliveries to the worker, as the web process does.
    use_broker(False, BROKER)
    running = Worker(tmp_path / "worker.log")
    running.start()
    yield running
    running.stop()
    use_broker(*before)
    redis.Redis.from_url(BROKER).flushdb()


def use_broker(eager: bool, url: str) -> None:
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = eager, url
    # The connection pools keep the broker they were made for: make them again.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def endpoint_for(receiver, **kwargs) -> WebhookEndpoint:
    return register_endpoint(
        organisation=OrganisationFactory(), url=receiver.url, event_types=["*"], **kwargs
    )


def first_deliveries(receiver) -> list[dict]:
    """Each event once, where it first arrived (a retry repeats its webhook-id)."""
    seen, events = set(), []
    for request in receiver.received:
        if request["headers"]["webhook-id"] not in seen:
            seen.add(request["headers"]["webhook-id"])
            events.append(json.loads(request["body"]))
    return events


def test_an_event_is_delivered_signed_per_standard_webhooks(worker, receiver):
    endpoint = endpoint_for(receiver)
    project = ProjectFactory(published=True)

    wait_for(lambda: receiver.received, "a delivery", worker)

    request = receiver.received[0]
    payload = Webhook(endpoint.secret).verify(request["body"], request["headers"])
    assert payload["type"] == "project.created"
    assert payload["data"]["resource_id"] == str(project.pk)
    assert payload["data"]["url"].endswith(f"/api/v1/projects/{project.code}/")
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook("whsec_" + "A" * 32).verify(request["body"], request["headers"])
    wait_for(lambda: Delivery.objects.filter(succeeded=True).exists(), "the log", worker)
    delivery = Delivery.objects.get()
    assert (delivery.attempt, delivery.status_code) == (1, 200)
    assert delivery.duration_ms >= 0


def test_a_500_is_retried_with_the_same_message_id(worker, receiver):
    receiver.answer = lambda n: 500 if n == 1 else 204
    endpoint = endpoint_for(receiver)
    ProjectFactory(published=True)

    wait_for(lambda: len(receiver.received) == 2, "the retry", worker)

    first, second = receiver.received
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    wait_for(lambda: Delivery.objects.filter(succeeded=True).exists(), "the log", worker)
    log = list(Delivery.objects.order_by("id").values_list("attempt", "status_code", "succeeded"))
    assert log == [(1, 500, False), (2, 204, True)]
    endpoint.refresh_from_db()
    assert (endpoint.failures, endpoint.retry_at, endpoint.is_active) == (0, None, True)


def test_an_endpoint_that_keeps_failing_is_disabled_with_the_reason(worker, receiver):
    receiver.answer = lambda n: 500
    endpoint = endpoint_for(receiver)
    ProjectFactory(published=True)

    def disabled():
        endpoint.refresh_from_db()
        return not endpoint.is_active

    wait_for(disabled, "the endpoint to be disabled", worker)
    assert len(receiver.received) == 3
    assert "3" in endpoint.disabled_reason and "HTTP 500" in endpoint.disabled_reason
    ProjectFactory(published=True)
    time.sleep(1)
    assert len(receiver.received) == 3


def test_nothing_is_lost_across_a_worker_killed_mid_delivery_and_order_per_record_holds(
    worker, receiver
):
    endpoint_for(receiver)
    receiver.gate.clear()
    projects = [ProjectFactory(published=True) for _ in range(2)]
    for round in range(3):
        for project in projects:
            project.title_en = f"Round {round}"
            project.save()

    wait_for(receiver.arrived.is_set, "the first delivery", worker)
    worker.kill()  # while the receiver holds its first request open
    receiver.gate.set()
    worker.start()

    expected = list(Event.objects.order_by("position").values_list("id", flat=True))
    wait_for(
        lambda: (
            {f"evt_{id}" for id in expected}
            <= {request["headers"]["webhook-id"] for request in receiver.received}
        ),
        "every event",
        worker,
    )
    delivered = first_deliveries(receiver)
    for project in projects:
        mine = [e for e in delivered if e["data"]["resource_id"] == str(project.pk)]
        assert [e["type"] for e in mine] == ["project.created"] + ["project.updated"] * 3
        cursors = [int(e["data"]["cursor"]) for e in mine]
        assert cursors == sorted(cursors)
