import psycopg2
import pytest
from django.conf import settings
from django.core.cache import cache
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


@pytest.fixture(autouse=True)
def _force_login_completes_the_second_factor(monkeypatch):
    # Every test client's force_login, the pytest-django fixtures' and hand-made ones alike.
    monkeypatch.setattr(Client, "force_login", force_login_with_second_factor)
