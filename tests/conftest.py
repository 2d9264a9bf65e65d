import pytest
from django.conf import settings


def pytest_configure(config):
    # The suite is the proof that the portal works on its system of record: never SQLite.
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit(
            "The tests run against PostgreSQL: set DATABASE_URL=postgres://… (make test does).",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
