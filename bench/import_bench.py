"""Ledger imports at scale: 100,000 rows through `import_ledger` (bulk validation and bulk
writes), beside 1,000 rows written one at a time through `services.record_entry` as the importer
did before, on a clone of the synthetic programme (bench/generate_ledger.py).

    DATABASE_URL=postgres://aidportal_app@127.0.0.1:5432/aidportal_bench_x \\
        .venv/bin/python bench/import_bench.py [--rows 100000 --old-rows 1000]

The database must be migrated and hold the synthetic programme. Both imports commit (the change
feed numbers its events at COMMIT, which is part of the cost), each into projects the other does
not touch, with rows that pass every ledger rule; `check_ledger` runs afterwards and must be clean.
The ledger is append-only, so every run adds its rows: run it on a clone, drop the clone after.
"""

import argparse
import csv
import io
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ISSUE_ROWS_PER_SECOND = 35  # issue 15: 1,000 rows in 28.7 s before this work
TARGET_SECONDS = 30
HEADERS = ["项目编号", "类型", "日期", "金额（元）", "凭证号", "备注"]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidportal.settings")
    os.environ["DEBUG"] = "0"  # no query log
    # The import's change-feed deliveries are not measured: no broker, nothing to deliver to.
    os.environ["CELERY_BROKER_URL"] = ""
    import django

    django.setup()


def load() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def rows_for(codes: list[str], per_project: int, tag: str) -> bytes:
    """A CSV of `per_project` rows per project that every rule accepts: an arrival well within
    the planned investment, a disbursement of part of it, an expenditure and a commitment."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    pattern = [
        ("到位", Decimal("3000.00")),
        ("拨付", Decimal("1500.00")),
        ("支出", Decimal("700.50")),
        ("承诺", Decimal("9000.00")),
    ]
    for index, code in enumerate(codes):
        for step in range(per_project):
            kind, amount = pattern[step % len(pattern)]
            day = 1 + (index + step) % 28
            writer.writerow([code, kind, f"2026-03-{day:02d}", amount, f"{tag}-{index}-{step}", ""])
    return out.getvalue().encode()


def timed_import(importer, content: bytes, name: str):
    from django.db import connection

    started = time.perf_counter()
    report = importer.run(content, name)
    elapsed = time.perf_counter() - started
    if not report.ok or not report.written:
        for problem in report.problems[:10]:
            print(f"  {problem}")
        sys.exit(f"The import of {name} was refused: the benchmark's rows should all pass.")
    connection.close()  # the next step starts on a fresh connection
    return len(report.rows), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--old-rows", type=int, default=1_000)
    args = parser.parse_args()
    per_project = 4
    setup_django()

    from django.core.management import CommandError, call_command

    from core.imports import Importer
    from funding import services
    from funding.imports import LedgerImporter
    from funding.models import LedgerEntry
    from projects.models import Project

    class OneByOne(LedgerImporter):
        """The importer as it was: the projects locked up front, then `record_entry` per row."""

        write_rows = Importer.write_rows

        def before_writing(self, report) -> None:
            services.lock_totals({row.project for row in report.rows})

        def write_row(self, row) -> None:
            services.record_entry(
                project=row.project,
                type=row.type,
                date=row.date,
                amount=row.amount,
                provider=row.provider,
                receiver=row.receiver,
                voucher=row.voucher,
                note=row.note,
            )

    new_projects = -(-args.rows // per_project)
    old_projects = -(-args.old_rows // per_project)
    codes = list(
        Project.objects.filter(code__startswith="syn-")
        .order_by("pk")
        .values_list("code", flat=True)[: new_projects + old_projects]
    )
    if len(codes) < new_projects + old_projects:
        sys.exit("Generate the synthetic programme first (bench/generate_ledger.py).")
    stamp = time.strftime("%H%M%S")
    old_file = rows_for(codes[:old_projects], per_project, f"old{stamp}")
    new_file = rows_for(codes[old_projects:], per_project, f"new{stamp}")
    entries_before = LedgerEntry.objects.count()
    print(f"ledger: {entries_before:,} entries, {Project.objects.count():,} projects")
    print(f"load average before: {load()} ({os.cpu_count()} CPUs)")

    old_rows, old_seconds = timed_import(OneByOne(), old_file, "old.csv")
    print(f"load average after the one-by-one import: {load()}")
    new_rows, new_seconds = timed_import(LedgerImporter(), new_file, "new.csv")
    print(f"load average after the bulk import: {load()}")

    print()
    print(f"{'path':<44}{'rows':>9}{'seconds':>10}{'rows/s':>10}")
    print("-" * 73)
    issue = "issue 15: record_entry per row (its figure)"
    print(f"{issue:<44}{1000:>9,}{28.7:>10.1f}{ISSUE_ROWS_PER_SECOND:>10,}")
    print(
        f"{'record_entry per row (measured now)':<44}{old_rows:>9,}"
        f"{old_seconds:>10.1f}{old_rows / old_seconds:>10,.0f}"
    )
    print(
        f"{'bulk: record_entries (import_ledger)':<44}{new_rows:>9,}"
        f"{new_seconds:>10.1f}{new_rows / new_seconds:>10,.0f}"
    )
    speedup = (new_rows / new_seconds) / (old_rows / old_seconds)
    print(f"bulk vs one by one, measured now: {speedup:.0f}×")
    verdict = "PASS" if new_rows >= 100_000 and new_seconds < TARGET_SECONDS else "FAIL"
    print(f"target: {new_rows:,} rows in under {TARGET_SECONDS} s: {new_seconds:.1f} s {verdict}")
    added = LedgerEntry.objects.count() - entries_before
    print(f"entries added: {added:,} (expected {old_rows + new_rows:,})")
    started = time.perf_counter()
    try:
        call_command("check_ledger", stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as error:
        print(f"check_ledger: FAILED ({error})")
        sys.exit(1)
    print(f"check_ledger: clean ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
