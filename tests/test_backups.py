"""A backup is proven by its restore: the demo backed up by `manage.py backup`, restored by
`manage.py restore` into a fresh database, then `check_ledger` is clean there (as the runtime
role, which the restore granted its privileges) and the public figures and pages are the same.
The runtime role can neither restore a backup nor drop what it serves."""

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg2 import sql

from tests.conftest import owner_connection

ROOT = Path(__file__).resolve().parent.parent

# Prints the figures the home and funding pages show and the pages themselves, as a reader
# gets them, from the database DATABASE_URL names.
SHOW = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidportal.settings")
django.setup()
from django.test import Client
from funding import selectors as funding
from projects.selectors import programme_figures
from reference.selectors import default_programme
programme = default_programme()
print(programme_figures(programme))
print(funding.totals(funding.projects_in_scope(public=True, programme=programme)))
client = Client()
for path in ("/", "/en/", "/funding/", "/en/funding/"):
    response = client.get(path)
    print(path, response.status_code)
    print(response.content.decode())
"""


def url(role: dict, name: str) -> str:
    password = f":{quote(role['PASSWORD'])}" if role["PASSWORD"] else ""
    return (
        f"postgres://{quote(role['USER'])}{password}@{role['HOST']}:{role['PORT'] or 5432}/{name}"
    )


def environment(name: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "PRODUCTION", "DEBUG"}}
    env.update(
        DATABASE_URL=url(settings.DATABASES["default"], name),
        MIGRATION_DATABASE_URL=url(settings.DATABASES["owner"], name),
        ALLOWED_HOSTS="testserver",
    )
    return env


def manage(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(name),
        capture_output=True,
        text=True,
        timeout=300,
    )


def shown(name: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env=environment(name),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def runtime_connection(name: str):
    runtime = settings.DATABASES["default"]
    return psycopg2.connect(
        dbname=name,
        user=runtime["USER"],
        password=runtime["PASSWORD"],
        host=runtime["HOST"],
        port=runtime["PORT"] or 5432,
    )


@pytest.fixture
def fresh_database():
    """A new, empty database owned by the owner role, dropped after the test."""
    name = f"{connection.settings_dict['NAME']}_restored"[:63]
    admin = owner_connection("postgres")
    admin.autocommit = True
    owner = settings.DATABASES["owner"]["USER"]
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        )
    yield name
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    admin.close()


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_has_a_clean_ledger_and_the_same_figures(
    demo_data, fresh_database, tmp_path
):
    backup = tmp_path / "aidportal.dump"
    original = connection.settings_dict["NAME"]

    call_command("backup", str(backup))
    restored = manage(fresh_database, "restore", str(backup))

    assert restored.returncode == 0, restored.stderr
    ledger = manage(fresh_database, "check_ledger")
    assert ledger.returncode == 0, ledger.stderr
    assert "Ledger and totals agree for" in ledger.stdout
    before, after = shown(original), shown(fresh_database)
    assert "/ 200" in before and "/en/funding/ 200" in before
    assert after == before


@pytest.mark.django_db
def test_restore_refuses_a_database_that_holds_tables_and_changes_nothing(demo_data, tmp_path):
    backup = tmp_path / "aidportal.dump"
    call_command("backup", str(backup))
    from projects.models import Project

    projects = Project.objects.count()

    with pytest.raises(CommandError, match="restore only into a new, empty database"):
        call_command("restore", str(backup))

    assert Project.objects.count() == projects


@pytest.mark.django_db
def test_backup_writes_nothing_when_the_file_exists(tmp_path):
    backup = tmp_path / "aidportal.dump"
    backup.write_text("an older backup")

    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(backup))

    assert backup.read_text() == "an older backup"


def test_backup_refuses_to_run_without_the_owner_role(monkeypatch, tmp_path):
    monkeypatch.delitem(settings.DATABASES, "owner")

    with pytest.raises(CommandError, match="as the tables' owner"):
        call_command("backup", str(tmp_path / "aidportal.dump"))

    assert not (tmp_path / "aidportal.dump").exists()


@pytest.mark.django_db
def test_the_runtime_role_can_neither_restore_nor_drop(fresh_database, tmp_path):
    backup = tmp_path / "aidportal.dump"
    call_command("backup", str(backup))
    runtime = settings.DATABASES["default"]
    env = {
        "PGHOST": runtime["HOST"],
        "PGPORT": str(runtime["PORT"] or 5432),
        "PGUSER": runtime["USER"],
        "PGPASSWORD": runtime["PASSWORD"] or "",
        "PATH": "/usr/bin:/bin",
    }

    refused = subprocess.run(
        [
            "pg_restore",
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            f"--dbname={fresh_database}",
            str(backup),
        ],
        env=env,
        capture_output=True,
        text=True,
    )

    assert refused.returncode != 0
    assert "permission denied" in refused.stderr
    fresh = runtime_connection(fresh_database)
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert cursor.fetchone() == (0,)
    finally:
        fresh.close()
    served = runtime_connection(connection.settings_dict["NAME"])
    served.autocommit = True
    try:
        with served.cursor() as cursor:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute("DROP TABLE funding_ledgerentry")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(fresh_database)))
    finally:
        served.close()
