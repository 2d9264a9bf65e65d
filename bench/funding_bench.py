"""Funding at scale: the dashboard figures, a page of the entries API, and its deepest cursor page,
measured against a dedicated PostgreSQL database of synthetic data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aidportal_bench \\
        .venv/bin/python bench/funding_bench.py [--projects 100000 --entries 1000000]

Creates and migrates the database if needed, generates the data once (bench/generate_ledger.py),
then times each figure over repeated runs on one reused connection, without any application
cache. See bench/README.md for what each line means.
"""

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENTRIES_URL = "/api/v1/funding/entries/"
PAGE_SIZE = 50


def ensure_database(url: str) -> str:
    """Create the database DATABASE_URL names if it does not exist yet; return its name."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit("The benchmark needs PostgreSQL: DATABASE_URL=postgres://…/aidportal_bench")
    connection = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            print(f"Creating database {config['NAME']}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    connection.close()
    return config["NAME"]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidportal.settings")
    os.environ["DEBUG"] = "0"  # no query log
    # One connection for the whole run, as a production worker keeps it between requests.
    os.environ["CONN_MAX_AGE"] = "600"
    # The benchmark sends more anonymous requests a minute than the public limit allows.
    os.environ["API_RATE_ANONYMOUS"] = "1000000/minute"
    import django

    django.setup()


def ensure_data(projects: int, entries: int, seed: int) -> str:
    """Generate the synthetic programme once; return how long generation took, or 'reused'."""
    from generate_ledger import PROGRAMME_CODE, Generator

    from funding.models import LedgerEntry
    from projects.models import Project
    from reference.models import Programme

    programme = Programme.objects.filter(code=PROGRAMME_CODE).first()
    if programme is not None:
        have = (
            Project.objects.filter(programme=programme).count(),
            LedgerEntry.objects.filter(project__programme=programme).count(),
        )
        if have != (projects, entries):
            sys.exit(
                f"This database holds a synthetic programme of {have[0]:,} projects and "
                f"{have[1]:,} entries, not {projects:,} and {entries:,}. The ledger is "
                "append-only: drop the database (dropdb) or use another DATABASE_URL."
            )
        return "reused"
    started = time.perf_counter()
    Generator().run(projects=projects, entries=entries, seed=seed)
    return f"{time.perf_counter() - started:.1f} s"


def vacuum() -> None:
    """Set the visibility map and statistics as autovacuum would on a live database, so that a
    freshly loaded table is not measured in a state production never sees for long."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) projects_project, funding_budgetline, funding_ledgerentry, "
            "funding_projectfunding, funding_projectfundingyear"
        )


def measure(function, *, runs: int, warmup: int) -> tuple[float, float]:
    """Median and p95 (nearest rank) of `runs` timed calls, in milliseconds."""
    for _ in range(warmup):
        function()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[max(0, -(-95 * len(timings) // 100) - 1)]
    return statistics.median(timings), p95


def dashboard(programme):
    """What the home and /funding/ pages compute, straight from the selectors."""
    from funding import selectors

    projects = selectors.projects_in_scope(public=True, programme=programme)
    return (
        selectors.totals(projects),
        selectors.by_year(projects),
        selectors.by_group(projects, "field"),
        selectors.illustrative_years(projects),
    )


def entries_view_class():
    from django.urls import resolve

    return resolve(ENTRIES_URL).func.cls  # type: ignore[attr-defined]  # set by DRF's as_view()


def ordering_of(view_class) -> list[str]:
    ordering = view_class.pagination_class.ordering
    return [ordering] if isinstance(ordering, str) else list(ordering)


def raw_page(connection, ordering: list[str], labels: dict[str, str], base_url: str):
    """The API's first page fetched with one hand-written query and dumped with json.dumps:
    the same rows and the same keys, without Django's request, view and serializer layers."""
    import zoneinfo

    from django.conf import settings

    from funding.models import LedgerEntry

    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    order_by = ", ".join(
        f"e.{name.lstrip('-')} {'DESC' if name.startswith('-') else 'ASC'}" for name in ordering
    )
    query = f"""
        SELECT e.id, p.code, e.type, e.date, e.amount, e.currency, pr.code, re.code, e.voucher,
            e.note, e.reverses_id, rb.id, e.reason, e.beyond_arrivals, e.needs_approval,
            a.approved_at, e.recorded_at
        FROM funding_ledgerentry e
        JOIN projects_project p ON p.id = e.project_id
        LEFT JOIN reference_organisation pr ON pr.id = e.provider_id
        LEFT JOIN reference_organisation re ON re.id = e.receiver_id
        LEFT JOIN funding_ledgerentry rb ON rb.reverses_id = e.id
        LEFT JOIN funding_approval a ON a.entry_id = e.id
        WHERE p.published
        ORDER BY {order_by}
        LIMIT {PAGE_SIZE}
    """

    def run() -> bytes:
        with connection.cursor() as cursor:
            cursor.execute(query)
            rows = cursor.fetchall()
        results = [
            {
                "id": row[0],
                "url": f"{base_url}{row[0]}/",
                "project": row[1],
                "type": row[2],
                "type_label": labels[row[2]],
                "iati_code": LedgerEntry.IATI_CODES[row[2]],
                "date": row[3].isoformat(),
                "amount": str(row[4]),
                "currency": row[5],
                "provider": row[6],
                "receiver": row[7],
                "voucher": row[8],
                "note": row[9],
                "reverses": row[10],
                "reversed_by": row[11],
                "reason": row[12],
                "beyond_arrivals": row[13],
                "needs_approval": row[14],
                "approved": row[15] is not None,
                "approved_at": row[15].astimezone(tz).isoformat() if row[15] else None,
                "recorded_at": row[16].astimezone(tz).isoformat(),
            }
            for row in rows
        ]
        return json.dumps({"next": None, "previous": None, "results": results}).encode()

    return run


def deepest_cursor() -> str:
    """The cursor of the last page, built directly instead of following `next` through every
    page. The entries API's cursor is DRF's encoding (base64 of `p=…`) of the keyset position
    `<date>_<id>` of the row the previous page ends on: here the row just before the oldest
    PAGE_SIZE rows."""
    from funding import selectors

    before_last_page = (
        selectors.entries(public=True)
        .order_by("date", "id")
        .values_list("date", "id")[PAGE_SIZE : PAGE_SIZE + 1]
    )
    if not before_last_page:
        sys.exit("Too few entries for a deepest page distinct from the first.")
    date, pk = before_last_page[0]
    return base64.b64encode(urlencode({"p": f"{date.isoformat()}_{pk}"}).encode()).decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit("Set DATABASE_URL to a dedicated database, e.g. postgres://…/aidportal_bench")
    name = ensure_database(url)
    setup_django()

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import translation
    from generate_ledger import PROGRAMME_CODE

    from funding.models import LedgerEntry
    from reference.models import Programme

    call_command("migrate", verbosity=0, interactive=False)
    generation = ensure_data(args.projects, args.entries, args.seed)
    vacuum()
    programme = Programme.objects.get(code=PROGRAMME_CODE)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    rows = []  # (label, median, p95, target, verdict)

    def timed(label: str, function) -> tuple[float, float]:
        median, p95 = measure(function, runs=args.runs, warmup=args.warmup)
        rows.append((label, f"{median:8.2f} ms", f"{p95:8.2f} ms", "", ""))
        return median, p95

    def verdict(label: str, value: str, target: str, passed: bool) -> None:
        rows.append((label, value, "", target, "PASS" if passed else "FAIL"))

    from funding import selectors

    median, p95 = measure(lambda: dashboard(programme), runs=args.runs, warmup=args.warmup)
    rows.append(
        (
            "(a) dashboard: totals, by_year, by_group(field), illustr.",
            f"{median:8.2f} ms",
            f"{p95:8.2f} ms",
            "< 50 ms",
            "PASS" if median < 50 else "FAIL",
        )
    )
    scope = selectors.projects_in_scope(public=True, programme=programme)
    timed("      totals()", lambda: selectors.totals(scope))
    timed("      by_year()", lambda: selectors.by_year(scope))
    timed("      by_group(field)", lambda: selectors.by_group(scope, "field"))
    timed("      illustrative_years()", lambda: selectors.illustrative_years(scope))

    # The same figures from the per-project totals, once: they must be equal, and show what
    # the programme rollups save.
    started = time.perf_counter()
    projects = scope.projects()
    per_project = (
        selectors.totals(projects),
        selectors.by_year(projects),
        selectors.by_group(projects, "field"),
        selectors.illustrative_years(projects),
    )
    elapsed = (time.perf_counter() - started) * 1000
    same = per_project == dashboard(programme)
    rows.append(
        ("    same figures from per-project totals (1 run)", f"{elapsed:8.2f} ms", "", "", "")
    )
    verdict(
        "    rollup figures equal the per-project figures", "yes" if same else "NO", "equal", same
    )

    try:
        view_class = entries_view_class()
    except Exception as error:  # noqa: BLE001 — the API may not exist yet
        view_class = None
        rows.append((f"(b), (c): {ENTRIES_URL} not available ({error})", "", "", "", "SKIP"))
    if view_class is not None:
        client = Client(HTTP_HOST="localhost")
        ordering = ordering_of(view_class)
        first_url = f"{ENTRIES_URL}?page_size={PAGE_SIZE}"
        first = client.get(first_url)
        assert first.status_code == 200, first.content[:500]
        first_ids = [row["id"] for row in first.json()["results"]]
        assert len(first_ids) == PAGE_SIZE

        with translation.override(translation.get_language()):
            labels = {value: str(label) for value, label in LedgerEntry.Type.choices}
        raw = raw_page(connection, ordering, labels, f"http://localhost{ENTRIES_URL}")
        raw_ids = [row["id"] for row in json.loads(raw())["results"]]
        assert raw_ids == first_ids, "the raw query must fetch the API's rows"

        api_median, _ = timed(f"(b) GET {first_url} (anonymous)", lambda: client.get(first_url))
        raw_median, _ = timed("    raw SQL + json.dumps, same 50 rows", raw)
        ratio = api_median / raw_median
        verdict("    ratio API / raw", f"{ratio:8.2f} ×", "≤ 3×", ratio <= 3)

        deep_cursor = deepest_cursor()
        deep_url = f"{ENTRIES_URL}?{urlencode({'page_size': PAGE_SIZE, 'cursor': deep_cursor})}"
        deep = client.get(deep_url)
        assert deep.status_code == 200, deep.content[:500]
        body = deep.json()
        oldest = list(
            selectors.entries(public=True)
            .order_by("date", "id")
            .values_list("id", flat=True)[:PAGE_SIZE]
        )
        deep_ids = sorted(row["id"] for row in body["results"])
        assert deep_ids == sorted(oldest) and body["next"] is None, "not the last page"
        first_page_median = api_median
        deep_median, _ = timed(
            f"(c) deepest page (cursor {base64.b64decode(deep_cursor).decode()})",
            lambda: client.get(deep_url),
        )
        ratio = deep_median / first_page_median
        verdict("    ratio deepest / first page", f"{ratio:8.2f} ×", "≤ 2×", ratio <= 2)

    print()
    print(
        f"AidPortal funding benchmark — database {name}, PostgreSQL {server.split()[0]}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("Load average before the runs: " + load)
    print(
        f"Data: programme '{PROGRAMME_CODE}', {args.projects:,} projects, "
        f"{args.entries:,} ledger entries (generation: {generation}); "
        f"{args.runs} runs after {args.warmup} warm-up, one reused connection, no cache"
    )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    header = ("measurement", "median", "p95", "target", "result")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
