import os
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test.utils import override_settings
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

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


def pytest_configure(config):
    # The suite is the proof that the portal works on its system of record: never SQLite.
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.exit(
            "The tests run against PostgreSQL: set DATABASE_URL=postgres://… (make test does).",
            returncode=2,
        )
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


@pytest.fixture
def test_redis() -> str:
    """The URL of this worker's Redis database, for tests that start servers sharing it."""
    if not settings.REDIS_URL:
        pytest.fail(
            "This test needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/14 (make test does)."
        )
    return settings.REDIS_URL


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s a password; tests that set passwords need none of that strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    from aidportal.api.throttling import rate_limiter  # once Django is set up

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
