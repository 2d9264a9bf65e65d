"""The web process and workers connect as a runtime role that owns nothing: the suite itself runs
as that role (tests/conftest.py), and these tests prove what it may not do. The owner, which
migrates, cannot empty an append-only table either."""

import datetime
from decimal import Decimal
from io import StringIO

import psycopg2
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, ProgrammingError, connection, transaction

from aidportal.database.privileges import append_only_tables, history_tables
from core.guards import FUNCTION as TRUNCATE_GUARD
from funding import services
from funding.models import LedgerEntry
from projects.models import Project
from tests.conftest import owner_connection
from tests.factories import ProjectFactory
from tests.test_settings import manage

APPEND_ONLY = append_only_tables()
RUNTIME = settings.DATABASES["default"]["USER"]
OWNER = settings.DATABASES["owner"]["USER"]


def posted_entry():
    return services.record_entry(
        project=ProjectFactory(),
        type=LedgerEntry.Type.INCOMING_FUNDS,
        date=datetime.date(2024, 3, 1),
        amount=Decimal("1000.00"),
    )


def refused(statement, params=None, match="permission denied|must be owner"):
    """Run `statement` as the test's connection (the runtime role) and expect a refusal; the
    savepoint keeps the test's transaction usable afterwards."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement, params)


def query(statement, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


@pytest.mark.django_db
def test_the_suite_runs_as_a_runtime_role_without_powers():
    [(user, superuser, createdb, createrole, bypassrls, member_of_owner)] = query(
        "SELECT current_user, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, "
        "pg_has_role(current_user, %s, 'MEMBER') FROM pg_roles WHERE rolname = current_user",
        [OWNER],
    )
    assert user == RUNTIME != OWNER
    assert not (superuser or createdb or createrole or bypassrls or member_of_owner)


@pytest.mark.django_db
def test_the_runtime_role_owns_nothing():
    owned = query(
        """
        SELECT 'relation ' || relname FROM pg_class WHERE relowner = current_user::regrole
        UNION ALL SELECT 'schema ' || nspname FROM pg_namespace
            WHERE nspowner = current_user::regrole
        UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE proowner = current_user::regrole
        UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typowner = current_user::regrole
        UNION ALL SELECT 'database ' || datname FROM pg_database
            WHERE datdba = current_user::regrole
        """
    )
    assert owned == []
    [(tables_owned_by_owner,)] = query(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s", [OWNER]
    )
    assert tables_owned_by_owner > 50


@pytest.mark.django_db
@pytest.mark.parametrize("table", APPEND_ONLY)
def test_the_runtime_role_cannot_truncate_an_append_only_table(table):
    refused(f'TRUNCATE "{table}"')
    refused(f'TRUNCATE "{table}" CASCADE')


@pytest.mark.django_db
def test_the_runtime_role_cannot_change_or_delete_a_posted_entry():
    entry = posted_entry()

    refused("DELETE FROM funding_ledgerentry WHERE id = %s", [entry.pk])
    refused("UPDATE funding_ledgerentry SET amount = 1 WHERE id = %s", [entry.pk])
    refused("DELETE FROM funding_approval")
    for attempt in (
        lambda: LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1")),
        lambda: LedgerEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            attempt()

    entry.refresh_from_db()
    assert entry.amount == Decimal("1000.00")
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_the_runtime_role_cannot_alter_drop_or_switch_off_the_guards():
    for statement in (
        "ALTER TABLE funding_ledgerentry DISABLE TRIGGER ALL",
        "ALTER TABLE funding_ledgerentry DISABLE TRIGGER funding_ledgerentry_append_only",
        "ALTER TABLE funding_ledgerentry DISABLE TRIGGER funding_ledgerentry_no_truncate",
        "ALTER TABLE funding_ledgerentry ADD COLUMN note2 text",
        "DROP TRIGGER funding_ledgerentry_no_truncate ON funding_ledgerentry",
        "DROP TABLE funding_ledgerentry CASCADE",
        "DROP TABLE projects_project CASCADE",
        f"DROP FUNCTION {TRUNCATE_GUARD}()",
        # Replacing the trigger function with one that lets everything through.
        "CREATE OR REPLACE FUNCTION funding_refuse_change() RETURNS trigger AS "
        "$$ BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql",
        "CREATE TABLE funding_shadow (id int)",
        # Replica mode would skip every trigger.
        "SET session_replication_role = replica",
    ):
        refused(statement)
    refused("INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())")


@pytest.mark.django_db
def test_the_runtime_role_has_exactly_select_and_insert_on_append_only_tables():
    """Also checks that every table the privileges call append-only has the TRUNCATE guard, and
    that every guarded table is called append-only."""
    rows = query(
        """
        SELECT t.table_name,
               has_table_privilege(current_user, t.table_name, 'SELECT'),
               has_table_privilege(current_user, t.table_name, 'INSERT'),
               has_table_privilege(current_user, t.table_name, 'UPDATE'),
               has_table_privilege(current_user, t.table_name, 'DELETE'),
               has_table_privilege(current_user, t.table_name, 'TRUNCATE')
        FROM unnest(%s::text[]) AS t(table_name)
        """,
        [APPEND_ONLY],
    )
    assert [row for row in rows if row[1:] != (True, True, False, False, False)] == []
    guarded = {
        table
        for (table,) in query(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgfoid = to_regproc(%s) "
            "AND tgtype & 32 = 32",  # TRIGGER_TYPE_TRUNCATE
            [TRUNCATE_GUARD],
        )
    }
    assert guarded == set(APPEND_ONLY)
    assert {
        "funding_ledgerentry",
        "funding_approval",
        "medical_transition",
        "api_auditentry",
        "education_accesslogentry",
    } <= guarded


@pytest.mark.django_db
def test_a_staff_login_with_history_can_still_be_deleted_and_history_stays():
    """The one UPDATE the runtime role may make on a history table: its user column, set to
    NULL when the staff login is deleted."""
    user = User.objects.create_user("former-staff", is_staff=True)
    project = ProjectFactory()
    project._history_user = user
    project.title_zh_hans = "改过的名称"
    project.save()
    history = Project.history.filter(id=project.pk)
    assert history.filter(history_user=user).exists()
    rows, user_id = history.count(), user.pk

    user.delete()

    assert history.count() == rows and not history.filter(history_user_id=user_id).exists()
    refused('UPDATE projects_historicalproject SET "title_zh_hans" = %s', ["篡改"])
    refused("DELETE FROM projects_historicalproject")
    assert "projects_historicalproject" in history_tables()


@pytest.fixture
def owner_cursor():
    owner = owner_connection(settings.DATABASES["default"]["NAME"])
    owner.autocommit = True
    with owner.cursor() as cursor:
        cursor.execute("SET lock_timeout = '10s'")
        yield cursor
    owner.close()


@pytest.mark.django_db(transaction=True)
def test_the_owner_cannot_truncate_an_append_only_table_either(owner_cursor):
    entry = posted_entry()
    owner_cursor.execute("SELECT current_user")
    assert owner_cursor.fetchone() == (OWNER,)

    for table in APPEND_ONLY:
        with pytest.raises(psycopg2.Error, match=f"append-only table: TRUNCATE of {table}"):
            owner_cursor.execute(f'TRUNCATE "{table}" CASCADE')
    # The statement, and truncating what the ledger hangs from.
    for statement in ("TRUNCATE funding_ledgerentry CASCADE", "TRUNCATE projects_project CASCADE"):
        with pytest.raises(psycopg2.Error, match="append-only table: TRUNCATE"):
            owner_cursor.execute(statement)
    # The row triggers bind the owner too.
    for statement in (
        "UPDATE funding_ledgerentry SET amount = 1",
        "DELETE FROM funding_ledgerentry",
    ):
        with pytest.raises(psycopg2.Error, match="append-only"):
            owner_cursor.execute(statement)

    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("1000.00")


def test_the_owner_url_must_name_the_same_database():
    result = manage(
        "check",
        DATABASE_URL="postgres://aidportal_app@127.0.0.1:5432/aidportal",
        MIGRATION_DATABASE_URL="postgres://aidportal_owner@127.0.0.1:5432/elsewhere",
    )

    assert result.returncode != 0
    assert "MIGRATION_DATABASE_URL must name the same database as DATABASE_URL" in result.stderr


def admin_url():
    db = settings.DATABASES["default"]
    return f"postgres://postgres@{db['HOST']}:{db['PORT'] or 5432}/postgres"


def test_creating_the_roles_again_changes_nothing_and_keeps_the_runtime_role_powerless():
    out = StringIO()
    call_command(
        "create_database_roles", admin_url=admin_url(), owner_can_create_databases=True, stdout=out
    )

    assert f"Owner role {OWNER}: kept." in out.getvalue()
    assert f"Runtime role {RUNTIME}: kept." in out.getvalue()
    owner = owner_connection("postgres")
    with owner.cursor() as cursor:
        cursor.execute(
            "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
            "WHERE rolname IN (%s, %s) ORDER BY rolname = %s",
            [OWNER, RUNTIME, RUNTIME],
        )
        assert cursor.fetchall() == [(OWNER, False, True, False), (RUNTIME, False, False, False)]
    owner.close()


def test_a_superuser_is_refused_as_the_runtime_role(monkeypatch):
    monkeypatch.setitem(settings.DATABASES["default"], "USER", "postgres")

    with pytest.raises(CommandError, match="runtime role postgres is a superuser"):
        call_command("create_database_roles", admin_url=admin_url(), stdout=StringIO())
