"""The metrics endpoint, the JSON access log and Sentry reporting."""

import gzip
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest
import redis
from django.db import connections
from django.test import Client

from aidportal.celery import app as celery_app
from api.keys import issue_api_key
from tests.factories import OrganisationFactory, ProjectFactory

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "metrics-token-for-tests"


def scrape(client: Client, token: str = TOKEN):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def sample(body: str, name: str, **labels) -> float:
    """The value of one sample of a Prometheus text page, 0 when it is absent."""
    for line in body.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{label}="{value}"' in line for label, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.django_db
def test_without_a_token_configured_there_is_no_metrics_endpoint(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 404
    assert scrape(client, "anything").status_code == 404


@pytest.mark.django_db
def test_metrics_are_refused_without_the_token(client, settings):
    settings.METRICS_TOKEN = TOKEN

    missing = client.get("/metrics")
    wrong = scrape(client, "not-the-token")
    basic = client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}")

    for response in (missing, wrong, basic):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"django_http" not in response.content


@pytest.mark.django_db
def test_metrics_count_requests_by_view_and_database_queries(client, settings):
    settings.METRICS_TOKEN = TOKEN
    ProjectFactory()
    before = scrape(client).content.decode()

    assert client.get("/api/v1/projects/").status_code == 200
    after = scrape(client)

    assert after.status_code == 200
    assert after["Content-Type"].startswith("text/plain")
    body = after.content.decode()
    requests = "django_http_requests_total_by_view_transport_method_total"
    view = {"view": "api:project-list", "method": "GET"}
    assert sample(body, requests, **view) == sample(before, requests, **view) + 1
    latency = "django_http_requests_latency_seconds_by_view_method_count"
    assert sample(body, latency, **view) == sample(before, latency, **view) + 1
    queries = "django_db_execute_total"
    assert sample(body, queries, alias="default") > sample(before, queries, alias="default")


@pytest.mark.django_db
def test_metrics_give_the_celery_queue_depth_from_the_broker(client, settings, test_redis):
    settings.METRICS_TOKEN = TOKEN
    before = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    use_broker(False, test_redis)
    try:
        empty = sample(scrape(client).content.decode(), "aidportal_celery_queue_length")
        for _ in range(3):
            celery_app.send_task("changes.tasks.deliver", args=[0], queue="celery")
        body = scrape(client).content.decode()
    finally:
        use_broker(*before)
        redis.Redis.from_url(test_redis).flushdb()

    assert re.search(r"^aidportal_celery_broker_up 1\.0$", body, re.M)
    assert sample(body, "aidportal_celery_queue_length", queue="celery") == empty + 3


@pytest.mark.django_db
def test_an_unreachable_broker_is_reported_not_a_failed_scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN
    before = (celery_app.conf.task_always_eager, celery_app.conf.broker_url)
    use_broker(False, "redis://127.0.0.1:1/0")
    try:
        response = scrape(client)
    finally:
        use_broker(*before)

    assert response.status_code == 200
    assert re.search(r"^aidportal_celery_broker_up 0\.0$", response.content.decode(), re.M)
    assert "aidportal_celery_queue_length{" not in response.content.decode()


def use_broker(eager: bool, url: str) -> None:
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = eager, url
    # The connection pools keep the broker they were made for: make them again.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db
def test_one_scrape_sums_every_gunicorn_worker(settings, tmp_path):
    """Two workers share PROMETHEUS_MULTIPROC_DIR: whichever answers the scrape counts both."""
    settings.METRICS_TOKEN = TOKEN
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    with gunicorn(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir)) as (base, access_log):
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(status_of, [f"{base}/healthz"] * 24))
        scrapes = [
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
                ),
                timeout=30,
            )
            .read()
            .decode()
            for _ in range(4)
        ]
        served_by = {
            line.split()[0] for line in access_log.read_text().splitlines() if "/healthz" in line
        }

    assert statuses == [200] * 24
    assert len(served_by) == 2  # both workers answered some
    requests = "django_http_requests_total_by_view_transport_method_total"
    for body in scrapes:
        assert sample(body, requests, view="healthz", method="GET") == 24


def status_of(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status


@contextmanager
def gunicorn(tmp_path, **environment):
    """The portal under gunicorn with two sync workers on a loopback port of its own."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    db = connections["default"].settings_dict
    unset = {"PRODUCTION", "DEBUG", "REDIS_URL", "MIGRATION_DATABASE_URL", "CELERY_BROKER_URL"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        ALLOWED_HOSTS="127.0.0.1",
        METRICS_TOKEN=TOKEN,
        ACCESS_LOG="0",
        **environment,
    )
    with (tmp_path / "output.log").open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "aidportal.wsgi",
                "--config=python:aidportal.gunicorn_config",
                f"--bind=fd://{listener.fileno()}",
                "--workers=2",
                "--preload",
                "--log-level=info",
                f"--access-logfile={access_log}",
                "--access-logformat=%(p)s %(s)s %(U)s",
                f"--error-logfile={error_log}",
            ],
            cwd=ROOT,
            env=env,
            pass_fds=[listener.fileno()],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not (error_log.exists() and error_log.read_text().count("Booting worker") == 2):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start: {(tmp_path / 'output.log').read_text()}")
                time.sleep(0.2)
            yield f"http://127.0.0.1:{port}", access_log
        finally:
            process.terminate()
            process.wait(timeout=30)
            listener.close()


class AccessLines(logging.Handler):
    """The access log's lines as its configured JSON formatter writes them."""

    def __init__(self):
        super().__init__()
        self.setFormatter(logging.getLogger("aidportal.access").handlers[0].formatter)
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def access_lines():
    logger = logging.getLogger("aidportal.access")
    handler = AccessLines()
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_each_request_writes_one_json_line_naming_the_caller(access_lines, admin_user):
    key, raw = issue_api_key(organisation=OrganisationFactory(), name="Reader")
    staff = Client()
    staff.force_login(admin_user)

    Client().get("/api/v1/projects/", {"q": "secret search"})
    Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/projects/")
    staff.get("/api/v1/projects/")
    Client().post("/api/v1/projects/", {}, content_type="application/json")

    assert len(access_lines) == 4
    anonymous, by_key, by_staff, refused = access_lines
    assert anonymous["method"] == "GET"
    assert anonymous["path"] == "/api/v1/projects/"
    assert anonymous["status"] == 200
    assert anonymous["duration_ms"] > 0
    assert anonymous["user_id"] is None and anonymous["api_key_id"] is None
    assert anonymous["level"] == "INFO" and anonymous["logger"] == "aidportal.access"
    assert re.fullmatch(r"[0-9a-f]{32}", anonymous["request_id"])
    assert "secret" not in json.dumps(anonymous)
    assert by_key["api_key_id"] == key.pk and by_key["user_id"] is None
    assert by_staff["user_id"] == admin_user.pk and by_staff["api_key_id"] is None
    assert refused["method"] == "POST" and refused["status"] in (401, 403, 405)
    assert len({line["request_id"] for line in access_lines}) == 4


@pytest.mark.django_db
def test_the_request_id_follows_the_proxy_and_comes_back(access_lines):
    given = Client().get("/api/v1/projects/", HTTP_X_REQUEST_ID="nginx-4f2a.1")
    forged = Client().get("/api/v1/projects/", HTTP_X_REQUEST_ID='x" injected\n{')

    assert given["X-Request-ID"] == "nginx-4f2a.1"
    assert access_lines[0]["request_id"] == "nginx-4f2a.1"
    assert re.fullmatch(r"[0-9a-f]{32}", forged["X-Request-ID"])
    assert access_lines[1]["request_id"] == forged["X-Request-ID"]


class SentryServer:
    """A Sentry ingestion endpoint: keeps every envelope it is sent, decompressed."""

    def __init__(self):
        self.envelopes: list[dict] = []
        self.arrived = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    body = brotli.decompress(body)
                server.envelopes.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body.decode()}
                )
                server.arrived.set()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_port
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def sentry_server():
    server = SentryServer()
    yield server
    server.http.shutdown()


# The portal's WSGI application, as gunicorn calls it, with its database down: the page fails
# and Sentry hears of it.
FAILING_REQUEST = """
from wsgiref.util import setup_testing_defaults
import sentry_sdk
from aidportal.wsgi import application
environ = {"PATH_INFO": "/en/projects/", "HTTP_COOKIE": "sessionid=secret-session-cookie"}
setup_testing_defaults(environ)
statuses = []
b"".join(application(environ, lambda status, headers, exc_info=None: statuses.append(status)))
print(statuses[0].split()[0])
sentry_sdk.flush(timeout=20)
"""


def test_an_error_is_reported_to_sentry_when_a_dsn_is_set(sentry_server):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"MIGRATION_DATABASE_URL", "REDIS_URL", "REPLICA_DATABASE_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="aidportal.settings",
        SENTRY_DSN=f"http://publickey@127.0.0.1:{sentry_server.port}/42",
        SENTRY_ENVIRONMENT="e2e-check",
        # Nothing listens on port 1: every query fails.
        DATABASE_URL="postgres://aidportal_app@127.0.0.1:1/aidportal",
        ACCESS_LOG="0",
    )

    run = subprocess.run(
        [sys.executable, "-c", FAILING_REQUEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.stdout.strip() == "500", run.stderr[-2000:]
    assert sentry_server.arrived.wait(10)
    envelope = sentry_server.envelopes[0]
    assert envelope["path"] == "/api/42/envelope/"
    assert "sentry_key=publickey" in envelope["headers"]["X-Sentry-Auth"]
    items = [json.loads(line) for line in envelope["body"].splitlines() if line.strip()]
    event = next(item for item in items if "exception" in item)
    assert event["exception"]["values"][-1]["type"] == "OperationalError"
    assert event["request"]["url"] == "http://127.0.0.1/en/projects/"
    assert event["environment"] == "e2e-check"
    assert re.fullmatch(r"[0-9a-f]{32}", event["tags"]["request_id"])
    # No personal data: the visitor's cookies stay out of the report.
    assert "secret-session-cookie" not in envelope["body"]
