"""Public reads come from a real streaming replica; whoever has just written reads the primary.

The session fixture starts a replica of the local PostgreSQL cluster with tools/replica.sh (on
TEST_REPLICA_PORT, 5440 unless set) once the test database exists, shared by the pytest-xdist
workers, and removes it afterwards. Replay is paused (pg_wal_replay_pause) to make the
replica stale: what a reader sees then tells which server answered.
"""

import copy
import fcntl
import json
import os
import re
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from django.db import connections, router
from django.test import Client, override_settings

from aidportal.database.replica import REPLICA
from tests.factories import ProjectFactory

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "replica.sh"
BODY = {"date": "2024-06-01", "title": {"zh-hans": "验收", "en": "Acceptance"}}

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def replica_port() -> int:
    return int(os.environ.get("TEST_REPLICA_PORT", "5440"))


@contextmanager
def replica_users(port: int):
    """Who uses the test replica on `port`, under a lock: pytest-xdist workers share one."""
    base = Path(tempfile.gettempdir()) / f"aidportal-test-replica-{port}"
    with open(f"{base}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state_file = Path(f"{base}.json")
            state = json.loads(state_file.read_text()) if state_file.exists() else None
            yield state, state_file
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def replay_to_myself(port: int):
    """While a test pauses and resumes the shared replica's replay, no other worker's does."""
    path = Path(tempfile.gettempdir()) / f"aidportal-test-replica-{port}.replay.lock"
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def superuser(port: int, dbname: str = "postgres"):
    host = connections["default"].settings_dict["HOST"]
    connection = psycopg2.connect(host=host, port=port, user="postgres", dbname=dbname)
    connection.autocommit = True
    return connection


def wait_until_replayed(port: int, timeout: float = 120) -> None:
    """Until the replica has replayed every commit the primary has made so far.

    The tests commit with synchronous_commit=off, so a commit just made may still be in the WAL
    buffers, past the primary's write position. A transaction that writes WAL (a one-record
    message nothing reads) and commits here with synchronous_commit=on writes out all WAL before
    its own commit: the write position read after it covers every earlier commit."""
    primary_port = int(connections["default"].settings_dict["PORT"] or 5432)
    primary = superuser(primary_port)
    try:
        with primary.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on")
            cursor.execute("SELECT pg_logical_emit_message(true, 'replica', 'wait')")
            cursor.execute("SELECT pg_current_wal_lsn()")
            (target,) = cursor.fetchone()
    finally:
        primary.close()
    deadline = time.monotonic() + timeout
    replica = superuser(port)
    try:
        with replica.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                if cursor.fetchone()[0]:
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"the replica has not replayed up to {target}")
                time.sleep(0.05)
    finally:
        replica.close()


@pytest.fixture(scope="session")
def replica_server(django_db_setup, django_db_blocker):
    """A streaming replica holding the test database, as the `replica` alias. The first worker
    starts it (unless one already runs there), the last one to finish removes what was started."""
    port = replica_port()
    env = {**os.environ, "REPLICA_PORT": str(port)}
    with replica_users(port) as (state, state_file):
        running = subprocess.run([SCRIPT, "status"], env=env, capture_output=True).returncode == 0
        if state is None or not running:
            state = {"started": not running, "users": []}
            if not running:
                try:
                    subprocess.run([SCRIPT, "start"], env=env, check=True, timeout=900)
                except Exception:
                    subprocess.run([SCRIPT, "stop"], env=env, timeout=120)
                    raise
        state["users"] = [pid for pid in state["users"] if alive(pid)] + [os.getpid()]
        state_file.write_text(json.dumps(state))
    try:
        with django_db_blocker.unblock(), replay_to_myself(port):
            wait_until_replayed(port)
        yield port
    finally:
        with replica_users(port) as (state, state_file):
            users = [pid for pid in (state or {}).get("users", []) if pid != os.getpid()]
            if users:
                state_file.write_text(json.dumps({**state, "users": users}))
            else:
                state_file.unlink(missing_ok=True)
                if state and state["started"]:
                    subprocess.run([SCRIPT, "stop"], env=env, check=True, timeout=120)


@pytest.fixture(scope="module", autouse=True)
def replica_alias(replica_server):
    """The `replica` alias, for this module's tests only (set up before each test's database
    fixtures, which must find it): the tests after them in the same process run without a
    replica, as the rest of the suite expects."""
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict["PORT"] = str(replica_server)
    settings_dict["TEST"] = {**settings_dict.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPLICA] = settings_dict
    try:
        yield replica_server
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def stale_replica(replica_alias, world):
    """The replica holds `world` and then stops replaying the primary's changes."""
    with replay_to_myself(replica_alias):
        wait_until_replayed(replica_alias)
        control = superuser(replica_alias)
        with control.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_pause()")
        try:
            yield replica_alias
        finally:
            with control.cursor() as cursor:
                cursor.execute("SELECT pg_wal_replay_resume()")
            control.close()


def project_codes(client: Client) -> set[str]:
    response = client.get("/api/v1/projects/", {"page_size": 100})
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


def update_ids(client: Client, project: str) -> set[int]:
    response = client.get("/api/v1/updates/", {"project": project, "page_size": 100})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def report(client: Client, project: str, **fields):
    response = client.post(
        "/api/v1/updates/",
        {"project": project, **BODY, **fields},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_public_reads_come_from_the_replica_and_a_key_reads_its_own_writes(
    stale_replica, world, callers
):
    ProjectFactory(code="P-LAG", published=True)  # on the primary only: replay is paused

    # Everyone, a partner's key included, reads the stale replica until they write.
    assert world.project.code in project_codes(callers["anonymous"])
    assert "P-LAG" not in project_codes(callers["anonymous"])
    assert "P-LAG" not in project_codes(callers["key_a"])

    created = report(callers["key_a"], world.project.code)

    # Right after its write the key reads the primary: its update and everything else there.
    assert created in update_ids(callers["key_a"], world.project.code)
    assert "P-LAG" in project_codes(callers["key_a"])
    # The same key from another client (no cookie): remembered by the key itself.
    same_key = Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a']}")
    assert "P-LAG" in project_codes(same_key)
    # Another reader, anonymous or another partner, still reads the replica.
    assert "P-LAG" not in project_codes(Client())
    assert "P-LAG" not in project_codes(callers["key_b"])


def test_a_session_that_has_written_reads_the_primary_and_public_pages_follow(
    stale_replica, world, callers
):
    staff = callers["programme_staff"]
    ProjectFactory(code="P-LAG", programme=world.project.programme, title_en="Lagging clinic")
    assert "P-LAG" not in project_codes(staff)

    created = report(staff, world.project.code, published=True)

    assert created in update_ids(staff, world.project.code)
    assert "P-LAG" in project_codes(staff)
    assert "Lagging clinic" in staff.get("/en/projects/").content.decode()
    # A visitor's page is the replica's.
    assert "Lagging clinic" not in Client().get("/en/projects/").content.decode()
    assert created not in update_ids(Client(), world.project.code)


def test_the_staff_admin_reads_the_primary(stale_replica, world, admin_client):
    ProjectFactory(code="P-LAG", published=True)

    page = admin_client.get("/en/admin/projects/project/", {"q": "P-LAG"})

    assert page.status_code == 200
    assert "P-LAG" in page.content.decode()
    assert "P-LAG" not in project_codes(Client())


def test_the_window_ends_and_the_writer_reads_the_replica_again(stale_replica, world):
    with override_settings(REPLICA_READ_YOUR_WRITES_SECONDS=1):
        key = Client(HTTP_AUTHORIZATION=f"Bearer {world.keys['key_a']}")
        ProjectFactory(code="P-LAG", published=True)
        report(key, world.project.code)
        assert "P-LAG" in project_codes(key)

        time.sleep(2.1)

        assert "P-LAG" not in project_codes(key)


def test_once_replay_resumes_every_reader_sees_the_write(stale_replica, world):
    ProjectFactory(code="P-LAG", published=True)
    assert "P-LAG" not in project_codes(Client())

    control = superuser(stale_replica)
    with control.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    control.close()
    wait_until_replayed(stale_replica)

    assert "P-LAG" in project_codes(Client())


def lag_seconds() -> float:
    """The replica's lag as the metrics endpoint reports it."""
    with override_settings(METRICS_TOKEN="lag-test"):
        page = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer lag-test")
    assert page.status_code == 200
    return float(re.search(r"^aidportal_replica_lag_seconds (\S+)$", page.text, re.M).group(1))


def test_the_metrics_report_the_replicas_lag_until_it_catches_up(stale_replica, world):
    time.sleep(1.5)  # the last change it replayed is now over a second old
    ProjectFactory(code="P-LAG", published=True)
    deadline = time.monotonic() + 30
    while (lag := lag_seconds()) == 0 and time.monotonic() < deadline:
        time.sleep(0.2)  # until the change has streamed to it, unreplayed

    assert lag >= 1.5

    control = superuser(stale_replica)
    with control.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    control.close()
    wait_until_replayed(stale_replica)

    # Caught up (other databases of the cluster may be streaming in meanwhile: a moment's lag).
    assert lag_seconds() < 1


def test_nothing_migrates_on_the_replica(replica_alias):
    from django.apps import apps

    labels = {config.label for config in apps.get_app_configs()}
    assert not any(router.allow_migrate(REPLICA, label) for label in labels)
    assert all(router.allow_migrate("default", label) for label in labels)
