"""`make run` without a server: the demo migrates, loads and keeps its figures on SQLite."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, database: str) -> subprocess.CompletedProcess:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**environment, "DATABASE_URL": database},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_demo_migrates_loads_and_adds_up_on_sqlite(tmp_path):
    database = f"sqlite:///{tmp_path / 'demo.sqlite3'}"

    for step in (("migrate", "--noinput"), ("load_demo",), ("load_demo",)):
        done = manage(*step, database=database)
        assert done.returncode == 0, done.stderr[-2000:]
    checked = manage("check_ledger", database=database)

    # The ledger's totals, the programme rollups and the project counts the home page reads.
    assert checked.returncode == 0, checked.stdout + checked.stderr[-2000:]
    assert "agree for 19 projects" in checked.stdout
