"""Backups with pg_dump and their restore with pg_restore, always as the owner role.

The owner (MIGRATION_DATABASE_URL) dumps, since it owns every table, trigger and sequence; the
runtime role, which owns nothing, cannot create a table in a fresh database nor drop one, so it
can neither restore a backup nor destroy the data it serves. The libpq tools get the connection
in the environment (PGHOST, PGUSER, PGPASSWORD…), so no password appears in a process list.
"""

import os
import subprocess
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError


def owner_settings() -> dict[str, Any]:
    owner = settings.DATABASES.get("owner")
    if owner is None or "postgresql" not in owner["ENGINE"]:
        raise CommandError(
            "Backups and restores run as the tables' owner: set MIGRATION_DATABASE_URL (and "
            "DATABASE_URL) to the PostgreSQL database, as for migrate."
        )
    return dict(owner)


def libpq_environment(database: dict[str, Any]) -> dict[str, str]:
    env = {**os.environ, "PGDATABASE": database["NAME"], "PGUSER": database["USER"]}
    env["PGHOST"] = database["HOST"] or "127.0.0.1"
    env["PGPORT"] = str(database["PORT"] or 5432)
    env.pop("PGPASSWORD", None)
    if database["PASSWORD"]:
        env["PGPASSWORD"] = database["PASSWORD"]
    return env


def run(command: list[str], env: dict[str, str], what: str) -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise CommandError(
            f"{command[0]} is not installed (Debian: postgresql-client-15, the server's version)."
        ) from None
    if done.returncode != 0:
        raise CommandError(f"{what} failed: {done.stderr.strip()}")
    return done.stdout
