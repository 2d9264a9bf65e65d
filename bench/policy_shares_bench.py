"""The grassroots and livelihood shares at scale: `funding.selectors.policy_shares` over a whole
programme, read from the rollups, side by side with the same figures computed from the
per-project totals (the path a scope narrowed to one organisation takes), and with the funding
totals the pages already read from the rollups.

    .venv/bin/python bench/policy_shares_bench.py \\
        --url postgres://aidportal_owner@127.0.0.1:5432/aidportal_bench_h16 [--runs 7 --warmup 2]

The database must hold the synthetic programme of bench/generate_ledger.py (a clone of the
bench template, migrated at this branch). See bench/README.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(function, *, runs: int, warmup: int) -> tuple[float, int]:
    """The median of `runs` timed calls after `warmup` untimed ones, in milliseconds, and the
    number of queries one call makes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        function()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        function()
    return statistics.median(timings), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidportal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from funding import selectors
    from funding.models import LedgerEntry
    from projects.models import Project
    from reference.models import Programme

    programme = max(Programme.objects.all(), key=lambda p: p.projects.count())
    scope = selectors.projects_in_scope(public=False, programme=programme)
    rows = [
        ("policy_shares, from the rollups", lambda: selectors.policy_shares(scope)),
        (
            "policy_shares, from per-project totals",
            lambda: selectors.policy_shares(scope.projects()),
        ),
        ("totals, from the rollups (reference)", lambda: selectors.totals(scope)),
    ]
    assert selectors.policy_shares(scope) == selectors.policy_shares(scope.projects())
    print(
        f"{Project.objects.filter(programme=programme).count():,} projects, "
        f"{LedgerEntry.objects.count():,} ledger entries; "
        f"median of {args.runs} runs after {args.warmup} warm-up"
    )
    print(f"{'figure':<42}{'ms':>10}{'queries':>10}")
    print("-" * 62)
    for label, function in rows:
        ms, queries = measure(function, runs=args.runs, warmup=args.warmup)
        print(f"{label:<42}{ms:>10.1f}{queries:>10}")
    print("Load average after the runs: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
