"""Settings come from the environment; production mode passes Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


PRODUCTION_REDIS = "redis://127.0.0.1:6379/0"  # never contacted by these checks


def manage(*args, **env):
    unset = {"DEBUG", "PRODUCTION", "SECRET_KEY", "REDIS_URL", "NUM_PROXIES"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PRODUCTION="1",
        SECRET_KEY="x7" * 40 + "-production-only-key-for-the-check",
        ALLOWED_HOSTS="aid.example.org",
        REDIS_URL=PRODUCTION_REDIS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage(
        "check", PRODUCTION="1", ALLOWED_HOSTS="aid.example.org", REDIS_URL=PRODUCTION_REDIS
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_shared_cache_for_the_rate_limits():
    result = manage("check", PRODUCTION="1", SECRET_KEY="k" * 60, ALLOWED_HOSTS="aid.example.org")

    assert result.returncode != 0
    assert "ImproperlyConfigured: REDIS_URL must be set when PRODUCTION=1" in result.stderr


def test_the_demo_runs_without_redis_on_a_local_memory_cache():
    code = (
        "from django.core.cache import caches; from api.throttling import rate_limiter;"
        "print(type(caches['default']).__name__, type(rate_limiter().storage).__name__)"
    )

    result = manage("shell", "-c", code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "LocMemCache MemoryStorage"


@pytest.mark.parametrize("value", ["-1", "one"])
def test_num_proxies_must_be_a_whole_number(value):
    result = manage("check", NUM_PROXIES=value)

    assert result.returncode != 0
    assert "NUM_PROXIES must be the number of trusted proxies" in result.stderr
    assert repr(value) in result.stderr


def test_num_proxies_comes_from_the_environment_and_the_sign_in_lock_uses_the_same_address():
    code = "from django.conf import settings as s;print(s.NUM_PROXIES, s.AXES_CLIENT_IP_CALLABLE)"

    result = manage("shell", "-c", code, NUM_PROXIES="2")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "2 core.addresses.client_address"


def test_production_ignores_debug_and_turns_on_protections():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_HSTS_SECONDS > 0, s.ALLOWED_HOSTS)"
    )
    result = manage(
        "shell",
        "-c",
        code,
        PRODUCTION="1",
        DEBUG="1",
        SECRET_KEY="k" * 60,
        ALLOWED_HOSTS="a.example.org,b.example.org",
        REDIS_URL=PRODUCTION_REDIS,
    )
    assert result.returncode == 0, result.stderr
    assert "False True True True True ['a.example.org', 'b.example.org']" in result.stdout


def test_the_local_secret_key_is_never_tracked_by_git():
    ignored = subprocess.run(
        ["git", "check-ignore", ".secret_key"], cwd=ROOT, capture_output=True, text=True
    )
    assert ignored.returncode == 0


def test_redis_url_puts_the_cache_and_the_rate_limits_in_redis():
    code = (
        "from django.core.cache import caches; cache = caches['default'];"
        "from api.throttling import rate_limiter;"
        "cache.set('aidportal-settings-probe', 7, 5);"
        "print(type(cache).__name__, cache.get('aidportal-settings-probe'),"
        " type(rate_limiter().storage).__name__, rate_limiter().storage.check())"
    )
    result = manage("shell", "-c", code, REDIS_URL="redis://127.0.0.1:6379/3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "RedisCache 7 RedisStorage True"


def test_a_replica_must_be_the_same_database_reached_as_the_runtime_role():
    primary = "postgres://aidportal_app@127.0.0.1:5432/aidportal"
    as_owner = manage(
        "check",
        DATABASE_URL=primary,
        MIGRATION_DATABASE_URL="",
        REPLICA_DATABASE_URL="postgres://aidportal_owner@127.0.0.1:5433/aidportal",
    )
    other_database = manage(
        "check",
        DATABASE_URL=primary,
        MIGRATION_DATABASE_URL="",
        REPLICA_DATABASE_URL="postgres://aidportal_app@127.0.0.1:5433/elsewhere",
    )
    same = manage(
        "check",
        DATABASE_URL=primary,
        MIGRATION_DATABASE_URL="",
        REPLICA_DATABASE_URL="postgres://aidportal_app@127.0.0.1:5433/aidportal",
    )

    for refused in (as_owner, other_database):
        assert refused.returncode != 0
        assert "REPLICA_DATABASE_URL must name the same database" in refused.stderr
    assert same.returncode == 0, same.stderr
