import psycopg2
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.backends.postgresql.operations import DatabaseOperations
from django.utils import translation
from psycopg2 import sql

from aidportal.database.guards import FUNCTION as TRUNCATE_GUARD

ROLES_HELP = (
    "The tests run as the runtime role on a database the owner role creates and migrates: set "
    "DATABASE_URL=postgres://aidportal_app@127.0.0.1:5432/aidportal and "
    "MIGRATION_DATABASE_URL=postgres://aidportal_owner@127.0.0.1:5432/aidportal (make test "
    "does, and creates the roles with `manage.py create_database_roles`)."
)


def pytest_configure(config):
    # The suite is the proof that the portal works on its system of record: never SQLite.
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.exit(
            "The tests run against PostgreSQL: set DATABASE_URL=postgres://… (make test does).",
            returncode=2,
        )
    # ... and that it works with least privilege: as a role that owns nothing.
    owner = settings.DATABASES.get("owner")
    if owner is None or owner["USER"] == db["USER"]:
        pytest.exit(ROLES_HELP, returncode=2)
    try:
        psycopg2.connect(
            dbname="postgres",
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=db["PORT"] or 5432,
            connect_timeout=5,
        ).close()
    except psycopg2.OperationalError as error:
        pytest.exit(
            f"PostgreSQL is not reachable at {db['HOST']}:{db['PORT'] or 5432} as "
            f"{db['USER']!r}: {str(error).strip()}\nStart it (see README) and run make test again.",
            returncode=2,
        )


def owner_connection(dbname: str):
    owner = settings.DATABASES["owner"]
    return psycopg2.connect(
        dbname=dbname,
        user=owner["USER"],
        password=owner["PASSWORD"],
        host=owner["HOST"],
        port=owner["PORT"] or 5432,
    )


def _flush_as_owner(self, sql_list):
    """Transactional tests are emptied with TRUNCATE, which the runtime role may not issue and
    the append-only guards refuse to everyone: the owner does it, with the guards disabled inside
    that one transaction, so no other session ever sees them off."""
    connection = owner_connection(self.connection.settings_dict["NAME"])
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgfoid = "
                "to_regproc(%s)",
                [TRUNCATE_GUARD],
            )
            guards = [
                (sql.SQL(table), sql.Identifier(trigger)) for table, trigger in cursor.fetchall()
            ]
            for table, trigger in guards:
                cursor.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(table, trigger))
            for statement in sql_list:
                cursor.execute(statement)
            for table, trigger in guards:
                cursor.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER {}").format(table, trigger))
    finally:
        connection.close()


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """The owner role creates and migrates the test database, as `migrate --database owner`
    does in production; every test then runs as the runtime role, which owns nothing."""
    verbosity = request.config.option.verbose
    owner, runtime = connections["owner"], connections["default"]
    old_name = owner.settings_dict["NAME"]
    with django_db_blocker.unblock():
        test_name = owner.creation.create_test_db(
            verbosity=verbosity,
            autoclobber=True,
            serialize=False,
            keepdb=django_db_keepdb and not django_db_createdb,
        )
        owner.close()
        runtime.close()
    settings.DATABASES["default"]["NAME"] = runtime.settings_dict["NAME"] = test_name
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", _flush_as_owner)
        yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            connections.close_all()
            owner.creation.destroy_test_db(old_name, verbosity, keepdb=False)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a password; tests that set passwords need none of that strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # Throttle counters live in the cache; each test starts with none spent.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    # A request to an /en/ page leaves English active in the thread; the next test starts in the
    # default language whatever ran before it.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
