import os
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.backends.postgresql.operations import DatabaseOperations
from django.test import Client
from django.test.utils import override_settings
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from psycopg2 import sql

from core.guards import FUNCTION as TRUNCATE_GUARD
from tests.demo_data import DemoSnapshot

password_only_login = Client.force_login


def force_login_with_second_factor(client: Client, user, backend=None) -> None:
    """Signs the user in as staff really are once the sign-in is complete: with an enrolled
    authenticator (a real django-otp device) and the session marked verified by it, the way
    django_otp.login does. `password_only_login` leaves out the second step."""
    password_only_login(client, user, backend)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def _redis_for_this_worker(url: str) -> str:
    """TEST_REDIS_URL's database for the first pytest-xdist worker, the next one for the second…

    Tests empty the cache (FLUSHDB), so workers sharing a database would wipe each other's counters.
    """
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{int(parts.path.strip('/') or 0) + worker}"))


def _use_test_redis():
    """The cache is Redis at TEST_REDIS_URL (make test sets it), else local memory.

    Never REDIS_URL: the suite empties its cache, so it only touches a Redis named for tests.
    """
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        override_settings(
            REDIS_URL="",
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        ).enable()
        return
    url = _redis_for_this_worker(url)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        pytest.exit(
            f"Redis is not reachable at {url}: {error}\nStart it (see README) or unset "
            "TEST_REDIS_URL to run on a local-memory cache.",
            returncode=2,
        )
    override_settings(
        REDIS_URL=url,
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        },
    ).enable()


ROLES_HELP = (
    "The tests run as the runtime role on a database the owner role creates and migrates: set "
    "DATABASE_URL=postgres://aidportal_app@127.0.0.1:5432/aidportal and "
    "MIGRATION_DATABASE_URL=postgres://aidportal_owner@127.0.0.1:5432/aidportal (make test "
    "does, and creates the roles with `manage.py create_database_roles`)."
)


# A test database need not survive a crash: a commit returns without waiting for its write-ahead
# log to reach the disk. What other sessions see, and when, is unchanged.
NO_WAIT_FOR_DISK = "-c synchronous_commit=off"


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
    _use_test_redis()
    for alias in ("default", "owner"):
        connections[alias].settings_dict.setdefault("OPTIONS", {})["options"] = NO_WAIT_FOR_DISK


@pytest.fixture
def test_redis() -> str:
    """The URL of this worker's Redis database, for tests that start servers sharing it."""
    if not settings.REDIS_URL:
        pytest.fail(
            "This test needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/14 (make test does)."
        )
    return settings.REDIS_URL


def owner_connection(dbname: str):
    owner = settings.DATABASES["owner"]
    return psycopg2.connect(
        dbname=dbname,
        user=owner["USER"],
        password=owner["PASSWORD"],
        host=owner["HOST"],
        port=owner["PORT"] or 5432,
        options=NO_WAIT_FOR_DISK,
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
    if any("RESTART IDENTITY" in statement for statement in sql_list):
        DEMO.identities_restarted = True


DEMO = DemoSnapshot(owner_connection)


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


@pytest.fixture(scope="session")
def demo_snapshot(django_db_setup, django_db_blocker) -> DemoSnapshot:
    """The demo as `manage.py load_demo` writes it, loaded once per test process."""
    with django_db_blocker.unblock():
        DEMO.take()
    return DEMO


@pytest.fixture
def demo_data(demo_snapshot, db) -> None:
    """The demo's records, as after `manage.py load_demo`, for this test alone (rolled back, or
    emptied after a transactional test, as anything else the test writes)."""
    demo_snapshot.restore()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The data files the worker builds (opendata.exports); a worker a test starts writes there too.
    exports = tmp_path / "media" / "exports"
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {**storage, "OPTIONS": {"location": exports}},
    }
    monkeypatch.setenv("EXPORTS_ROOT", str(exports))


@pytest.fixture(autouse=True)
def _pages_confirm_their_data_every_time(settings):
    # Tests see a change on the very next request; tests of the freshness window set it.
    settings.PAGE_FRESH_SECONDS = 0


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a password; tests that set passwords need none of that strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    from api.throttling import rate_limiter  # once Django is set up

    # Each test starts with an empty cache and no request counted against any limit (both in this
    # worker's Redis database with TEST_REDIS_URL).
    cache.clear()
    rate_limiter().storage.reset()
    yield
    cache.clear()
    rate_limiter().storage.reset()


@pytest.fixture(autouse=True)
def _default_language():
    # A request to an /en/ page leaves English active in the thread; the next test starts in the
    # default language whatever ran before it.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _force_login_completes_the_second_factor(monkeypatch):
    # Every test client's force_login, the pytest-django fixtures' and hand-made ones alike.
    monkeypatch.setattr(Client, "force_login", force_login_with_second_factor)
