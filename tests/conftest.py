import psycopg2
import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation


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
