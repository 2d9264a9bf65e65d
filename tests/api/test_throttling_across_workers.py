"""The anonymous limit holds across two gunicorn workers: the counters live in Redis, shared by
every worker process, and X-Forwarded-For is ignored when no proxy is configured."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent
LIMIT = 20
REQUESTS = 3 * LIMIT
BOOT_SECONDS = 60


def database_url() -> str:
    """The test database this process uses, so that the server reads the same one."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def status_of(url: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=30
        ) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def server(db, test_redis, tmp_path):
    """gunicorn with two sync workers on a loopback port of its own, stopped after the test."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.set_inheritable(True)
    port = listener.getsockname()[1]
    access_log, error_log = tmp_path / "access.log", tmp_path / "error.log"
    output = (tmp_path / "output.log").open("w")
    # The server only serves: it needs the runtime role's URL, not the owner's.
    unset = {"PRODUCTION", "DEBUG", "NUM_PROXIES", "API_RATE_ANONYMOUS", "REDIS_URL"}
    unset |= {"MIGRATION_DATABASE_URL"}
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=test_redis,
        API_RATE_ANONYMOUS=f"{LIMIT}/hour",
        ALLOWED_HOSTS="127.0.0.1",
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "aidportal.wsgi",
            f"--bind=fd://{listener.fileno()}",
            "--workers=2",
            "--worker-class=sync",
            "--preload",  # both workers fork from a loaded application and are ready at once
            "--log-level=info",
            f"--access-logfile={access_log}",
            "--access-logformat=%(p)s %(s)s %(U)s",
            f"--error-logfile={error_log}",
        ],
        cwd=ROOT,
        env=env,
        pass_fds=[listener.fileno()],
        stdout=output,
        stderr=subprocess.STDOUT,  # Django logs each 429; kept out of the test's output
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + BOOT_SECONDS
        while True:
            booted = error_log.exists() and error_log.read_text().count("Booting worker") == 2
            if booted and status_of(f"{base}/healthz") == 200:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                log = error_log.read_text() if error_log.exists() else ""
                said = (tmp_path / "output.log").read_text()
                pytest.fail(f"gunicorn did not start in {BOOT_SECONDS} s:\n{log}\n{said}")
            time.sleep(0.2)
        yield base, access_log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        listener.close()
        output.close()


def test_two_workers_together_let_through_exactly_the_limit(server):
    base, access_log = server
    url = f"{base}/api/v1/projects/"

    def served_by() -> set[str]:
        return {
            line.split()[0] for line in access_log.read_text().splitlines() if "/api/v1/" in line
        }

    # Eight at a time, so both workers are kept busy, until each has answered some: a worker
    # with counters of its own would let its first LIMIT requests through. A fast answer can
    # leave one worker taking every request of a round, so rounds go on (bounded) until both
    # have answered.
    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(statuses) < REQUESTS or len(served_by()) < 2:
            assert len(statuses) < 10 * REQUESTS, "one worker answered every request"
            statuses += pool.map(status_of, [url] * 8)

    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == len(statuses) - LIMIT
    assert len(served_by()) == 2


def test_a_new_x_forwarded_for_on_each_request_gets_no_more_through(server):
    base, _access_log = server
    url = f"{base}/api/v1/projects/"
    rotating = [f"203.0.113.{n}" for n in range(1, REQUESTS + 1)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda address: status_of(url, address), rotating))

    # No proxy is configured (NUM_PROXIES=0): the header is the caller's own and is ignored.
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == REQUESTS - LIMIT
