"""The staff admin and the public project search at demo size and at scale: every admin change
list, and its search where it has one, as a signed-in superuser, and /projects/?q=, each timed
in-process through Django's test client, printed side by side (demo | large | target).

    .venv/bin/python bench/admin_bench.py \\
        --demo-url postgres://aidportal_owner@127.0.0.1:5432/aidportal_bench_demo \\
        --large-url postgres://aidportal_owner@127.0.0.1:5432/aidportal_bench \\
        [--projects 100000 --entries 1000000 --runs 7 --warmup 2]

Each database is created if missing and migrated; the demo one gets `load_demo`, the large one
the synthetic programme of bench/generate_ledger.py (generated once, reused after; the same
database bench/funding_bench.py uses). Each is measured in a process of its own (Django binds
to one database per process). See bench/README.md.

Beside each median wall time it prints the median CPU time a request costs: this process's
(`time.process_time`) plus its PostgreSQL backend's (`/proc/<pid>/schedstat`, readable when the
database runs on this machine). On a machine shared with other work the wall time grows with the
load; the CPU time barely does, so it shows a change in the page's own cost despite the noise.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

ADMIN_TARGET_MS = 150.0
SEARCH_TARGET_MS = 50.0
PROJECTS_URL = "/projects/"
USERNAME = "bench-superuser"


def backend_cpu_seconds() -> float | None:
    """The CPU time the database backend serving this process has used so far, or None when its
    process cannot be read (the database on another machine)."""
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def measure(function, *, runs: int, warmup: int) -> tuple[float, float | None]:
    """The medians of `runs` timed calls after `warmup` untimed ones, in milliseconds: wall
    time, and CPU time of this process and its database backend (None if unreadable)."""
    for _ in range(warmup):
        function()
    timings, cpu = [], []
    for _ in range(runs):
        backend = backend_cpu_seconds()
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        timings.append((time.perf_counter() - started) * 1000)
        backend_after = backend_cpu_seconds()
        if backend is not None and backend_after is not None:
            own = time.process_time() - started_cpu
            cpu.append((own + backend_after - backend) * 1000)
    return statistics.median(timings), statistics.median(cpu) if cpu else None


def counted(queries, execute, sql, params, many, context):
    """A database execute wrapper noting each query a request makes."""
    queries.append(sql)
    return execute(sql, params, many, context)


def signed_in_client():
    """A test client signed in as a superuser who completed the second factor, as
    tests/conftest.py signs staff in."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.filter(username=USERNAME).first()
    if user is None:
        user = get_user_model().objects.create_superuser(USERNAME, "", None)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def pages(search: str) -> list[tuple[str, str, str]]:
    """(name, address, kind) of every page measured: each admin change list, its search, and
    the public project search."""
    from django.contrib import admin
    from django.urls import reverse

    found = []
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        found.append((opts.label, url, "admin"))
        if model_admin.search_fields:
            found.append((f"{opts.label} ?q=", f"{url}?{urlencode({'q': search})}", "admin"))
    found.append(
        (f"{PROJECTS_URL} ?q=", f"{PROJECTS_URL}?{urlencode({'q': search})}", "public search")
    )
    return found


def last_page(url: str, user) -> str | None:
    """The address of the last page of a large change list (core.changelists): the cursor of
    the row before its last rows where the list pages by cursor, else the last page number,
    from an exact count made here, once. None for any other list."""
    from django.test import RequestFactory
    from django.urls import resolve

    from core.changelists import CURSOR_VAR, LargeListChangeList

    model_admin = getattr(resolve(url).func, "model_admin", None)
    if model_admin is None:
        return None
    request = RequestFactory().get(url)
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    if not isinstance(changelist, LargeListChangeList):
        return None
    per_page = changelist.list_per_page
    if changelist.keyset is not None:
        before = changelist.queryset.reverse()[per_page : per_page + 1]
        if not before:
            return None
        return f"{url}?{urlencode({CURSOR_VAR: changelist._cursor_of(before[0])})}"
    pages = max(1, -(-changelist.queryset.count() // per_page))
    return f"{url}?p={pages}" if pages > 1 else None


def run_measurements(args) -> None:
    """In the child process: prepare one database and time every page against it."""
    os.environ["DATABASE_URL"] = args.measure
    os.environ.pop("MIGRATION_DATABASE_URL", None)
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the test client's host
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(BENCH))
    from funding_bench import ensure_data, ensure_database, setup_django, vacuum

    ensure_database(args.measure)
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from projects.models import Project

    call_command("migrate", verbosity=0)
    if args.kind == "demo":
        if not Project.objects.exists():
            call_command("load_demo", verbosity=0)
    else:
        ensure_data(args.projects, args.entries, args.seed)
    vacuum()
    staff, anonymous = signed_in_client(), Client()
    results = {}

    def time_page(name, url, client):
        queries: list[str] = []
        with connection.execute_wrapper(partial(counted, queries)):
            response = client.get(url)
        median, cpu = measure(partial(client.get, url), runs=args.runs, warmup=args.warmup)
        results[name] = {
            "median": median,
            "cpu": cpu,
            "queries": len(queries),
            "status": response.status_code,
        }
        return response

    for name, url, kind in pages(args.search):
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        client = anonymous if kind == "public search" else staff
        response = time_page(name, url, client)
        deepest = last_page(url, response.wsgi_request.user) if "?" not in url else None
        if deepest is not None:
            time_page(f"{name} last page", deepest, client)
    from funding.models import LedgerEntry

    sizes = {"projects": Project.objects.count(), "entries": LedgerEntry.objects.count()}
    Path(args.output).write_text(json.dumps({"sizes": sizes, "results": results}))


def child(url: str, kind: str, search: str, args, output: Path) -> dict:
    command = [
        sys.executable,
        __file__,
        "--measure",
        url,
        "--kind",
        kind,
        "--search",
        search,
        "--output",
        str(output),
        "--runs",
        str(args.runs),
        "--warmup",
        str(args.warmup),
        "--projects",
        str(args.projects),
        "--entries",
        str(args.entries),
        "--seed",
        str(args.seed),
        "--only",
        args.only,
    ]
    subprocess.run(command, check=True, cwd=ROOT)
    return json.loads(output.read_text())


def figure(value: float | None, width: int) -> str:
    return f"{value:{width}.1f}" if value is not None else f"{'—':>{width}}"


def report(demo: dict, large: dict, args) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Load average after the runs: {load} ({os.cpu_count()} CPUs)")
    for label, data, search in (
        ("demo", demo, args.demo_search),
        ("large", large, args.large_search),
    ):
        sizes = data["sizes"]
        print(
            f"{label}: {sizes['projects']:,} projects, {sizes['entries']:,} ledger entries, "
            f"search {search!r}"
        )
    print(f"median of {args.runs} runs after {args.warmup} warm-up, superuser, in-process client")
    print("ms: wall time; cpu: CPU time of the process and its database backend (— unreadable)")
    header = (
        f"{'page':<40} {'demo ms':>8} {'large ms':>8} {'demo cpu':>8} {'large cpu':>9} "
        f"{'queries':>7} {'target':>6}  result"
    )
    print(header)
    print("-" * len(header))
    failures = 0
    for name, figures in large["results"].items():
        before = demo["results"].get(name, {})
        target = SEARCH_TARGET_MS if name.startswith(PROJECTS_URL) else ADMIN_TARGET_MS
        ok = figures["status"] == 200 and figures["median"] < target
        failures += not ok
        queries = f"{before.get('queries', '—')}/{figures['queries']}"
        result = "PASS" if ok else "FAIL"
        if figures["status"] != 200:
            result += f" (HTTP {figures['status']})"
        print(
            f"{name:<40} {figure(before.get('median'), 8)} {figure(figures['median'], 8)} "
            f"{figure(before.get('cpu'), 8)} {figure(figures.get('cpu'), 9)} {queries:>7} "
            f"{'< ' + format(target, '.0f'):>6}  {result}"
        )
    print(f"{len(large['results']) - failures} of {len(large['results'])} pages within target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo-url", default=os.environ.get("BENCH_DEMO_URL"))
    parser.add_argument("--large-url", default=os.environ.get("BENCH_LARGE_URL"))
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    # A demo word found in many titles; a synthetic project's number, in its code and titles.
    parser.add_argument("--demo-search", default="色尼")
    parser.add_argument("--large-search", default="0012345")
    parser.add_argument(
        "--only", default="", help="measure only the pages whose names hold one of these, a,b"
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=["demo", "large"], help=argparse.SUPPRESS)
    parser.add_argument("--search", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        run_measurements(args)
        return
    if not (args.demo_url and args.large_url):
        sys.exit("Give --demo-url and --large-url (two PostgreSQL databases the role may create).")
    output = Path(f"/tmp/admin_bench_{os.getpid()}")
    demo = child(args.demo_url, "demo", args.demo_search, args, output.with_suffix(".demo"))
    large = child(args.large_url, "large", args.large_search, args, output.with_suffix(".large"))
    report(demo, large, args)


if __name__ == "__main__":
    main()
