"""Database connections: a web worker keeps its connection between requests on PostgreSQL and
checks it before reusing it, so a connection the database dropped costs no reader an error; the
embedded demo on SQLite opens one per request, as before."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import close_old_connections, connection

ROOT = Path(__file__).resolve().parent.parent
# The worker's database sessions, told apart from the test's own in pg_stat_activity.
WORKER_APPLICATION = "aidportal-connections-test-worker"


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def served(client, url: str):
    """A request as a WSGI server serves it: Django's request_finished closes what is due."""
    response = client.get(url)
    close_old_connections()
    return response


@pytest.mark.django_db(transaction=True)
def test_a_worker_reuses_its_connection_between_requests(client):
    served(client, "/healthz")
    first = backend_pid()
    close_old_connections()

    assert served(client, "/healthz").status_code == 200
    assert backend_pid() == first


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_database_dropped_is_replaced_before_the_next_request(client):
    served(client, "/healthz")
    dropped = backend_pid()
    close_old_connections()
    params = connection.get_connection_params()
    with psycopg2.connect(**params) as other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [dropped])
        assert cursor.fetchone()[0] is True
    other.close()

    response = served(client, "/healthz")

    assert response.status_code == 200, response.content
    assert response.json()["database"] == "ok"
    assert backend_pid() != dropped


def connection_settings(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"CONN_MAX_AGE", "PRODUCTION"}}
    code = (
        "from django.db import connection; "
        "print(connection.settings_dict['CONN_MAX_AGE'], "
        "connection.settings_dict['CONN_HEALTH_CHECKS'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_postgresql_connections_persist_with_health_checks_unless_told_otherwise():
    assert connection_settings() == "600 True"
    assert connection_settings(CONN_MAX_AGE="0") == "0 False"
    assert connection_settings(CONN_MAX_AGE="30") == "30 True"


def test_the_embedded_demo_on_sqlite_opens_a_connection_per_request(tmp_path):
    sqlite = f"sqlite:///{tmp_path / 'demo.sqlite3'}"

    assert connection_settings(DATABASE_URL=sqlite, MIGRATION_DATABASE_URL="") == "0 False"


def test_conn_max_age_must_be_a_number_of_seconds():
    clean = {k: v for k, v in os.environ.items() if k != "CONN_MAX_AGE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "CONN_MAX_AGE": "ten minutes"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "CONN_MAX_AGE must be a number of seconds" in result.stderr


def worker_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            [WORKER_APPLICATION],
        )
        return cursor.fetchone()[0]


def wait_for(condition, what: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"Timed out waiting for {what}.\n{log.read_text()[-3000:]}")


@pytest.mark.django_db(transaction=True)
def test_the_celery_worker_closes_its_connection_when_a_task_ends(test_redis, tmp_path):
    """A worker keeps no connection between tasks, whatever CONN_MAX_AGE gives the web workers:
    Celery's Django fix-up closes it when each task ends. The worker runs `resume` (a task that
    reads the webhook endpoints) as soon as it is ready."""
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/"
            f"{database['NAME']}"
        ),
        "MIGRATION_DATABASE_URL": "",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": test_redis,
        "CONN_MAX_AGE": "600",
        "PGAPPNAME": WORKER_APPLICATION,
    }
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "aidportal", "worker", "--pool=solo"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info"]
    with log.open("a") as handle:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: "changes.tasks.resume" in log.read_text(), "a task to run", log)
            wait_for(lambda: "succeeded" in log.read_text(), "the task to end", log)

            wait_for(lambda: worker_sessions() == 0, "the worker to close its connection", log)
        finally:
            process.send_signal(signal.SIGQUIT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
