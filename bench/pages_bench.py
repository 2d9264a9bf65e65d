"""Public pages at two sizes of programme: does a page's time grow with the programme? Also the
downloads' time and the worker's memory around them, and /healthz with and without persistent
database connections.

    .venv/bin/python bench/pages_bench.py \\
        --small postgres://aidportal_app@127.0.0.1:5432/aidportal_small_c15 \\
        --large postgres://aidportal_app@127.0.0.1:5432/aidportal_bench_c15 \\
        [--baseline-code /tmp/aidportal_before] [--runs 5 --rounds 3]

Both databases are migrated (with `migrate --database owner`, opendata's builds table included)
and hold one programme made by bench/generate_ledger.py (about 100 projects, and 100,000). Each
measurement runs in a fresh Python process (`--child`) with `DEBUG=0`, the Django test client
(the whole middleware stack, in process) and the application cache cleared before every
request, so that every page computes its figures: the time a reader waits on the first request
after any record changes. Tasks go to an in-process broker nobody reads (`memory://`), so a page
only queues what it would queue, as in production. The columns take turns, `--rounds` times, so
that the machine's drifting load weighs on each alike. `--baseline-code` names a copy of the
code before this change (e.g. `git archive <commit> | tar -x -C DIR`), measured the same way
against the same databases and printed beside it.

The XLSX download is built in the background (opendata.exports): the code that does is timed as
a reader meets it after a change, its builds of the dataset removed first: the request (a 202),
the build as the worker runs it (the time until the file is ready, counted from the request),
then the request that gets the file. Code from before is timed as it was, built in the request.
"""

import argparse
import gc
import hashlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PAGES = [
    "/",
    "/projects/",
    "/projects/?page=3",
    "{project}",
    "/timeline/",
    "/funding/",
    "/medical/",
    "/data/",
    "/en/",
    "/en/projects/",
]
EXPORTS = [
    "/funding/projects.csv",
    "/funding/years.csv",
    "/data/projects.csv",
    "/data/projects.xlsx",
]
MIB = 1024 * 1024


def _status(name: str) -> int:
    """A line of /proc/self/status (VmRSS, VmHWM) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(name)


def _reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS.
    Path("/proc/self/clear_refs").write_text("5")


def child(args: argparse.Namespace) -> None:
    sys.path.insert(0, args.code)
    os.chdir(args.code)
    os.environ["DJANGO_SETTINGS_MODULE"] = "aidportal.settings"
    os.environ["DEBUG"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.cache import cache
    from django.test import Client

    from projects.models import Project

    client = Client()
    result: dict = {}

    digests: dict[str, str] = {}

    def fetch(url: str) -> tuple[float, int, int]:
        started = time.perf_counter()
        response = client.get(url)
        size = 0
        digest = hashlib.sha256()
        # A response iterates over its body's pieces, streamed or not.
        for chunk in response:
            size += len(chunk)
            digest.update(chunk)
        digests[url] = digest.hexdigest()[:12]
        response.close()
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        return elapsed, size, response.status_code

    if args.mode == "pages":
        code = (
            Project.objects.filter(published=True).order_by("code").values_list("code", flat=True)
        )[0]
        for template in PAGES:
            url = template.format(project=f"/projects/{code}/")
            times = []
            for run in range(args.warmup + args.runs):
                cache.clear()
                elapsed, _size, _status_code = fetch(url)
                if run >= args.warmup:
                    times.append(elapsed)
            result[template] = times
    elif args.mode == "exports":
        fetch("/healthz")  # Django, the URLconf and the connection loaded before measuring
        background = importlib.util.find_spec("opendata.exports") is not None
        for url in EXPORTS:
            if background and url.endswith(".xlsx"):
                result[url] = background_build(client, fetch, url)
                result[url]["sha256"] = digests[url]
                continue
            gc.collect()
            before = _status("VmRSS")
            _reset_peak()
            elapsed, size, _status_code = fetch(url)
            peak = _status("VmHWM")
            gc.collect()
            after = _status("VmRSS")
            result[url] = {
                "seconds": elapsed,
                "bytes": size,
                "rss_before": before,
                "rss_peak": peak,
                "rss_after": after,
                "sha256": digests[url],
            }
    elif args.mode == "healthz":
        times = []
        for run in range(args.warmup + args.runs * 10):
            elapsed, _size, _status_code = fetch("/healthz")
            if run >= args.warmup:
                times.append(elapsed)
        result["/healthz"] = statistics.median(times)
    print(json.dumps(result))


def background_build(client, fetch, url: str) -> dict:
    """An XLSX as a reader meets it right after a change: the request (202, a build queued), the
    build as the worker runs it, then the request that gets the file."""
    from django.core.cache import cache

    from opendata import exports
    from opendata.models import Export

    name = url.rsplit("/", 1)[1].removesuffix(".xlsx")
    # The templates and both languages' translations loaded, as in a worker that has served pages.
    client.get("/en/data/").close()
    Export.objects.filter(dataset=name).delete()
    cache.clear()
    started = time.perf_counter()
    response = client.get(url)
    request = time.perf_counter() - started
    response.close()
    gc.collect()
    before = _status("VmRSS")
    _reset_peak()
    started = time.perf_counter()
    build = exports.build_queued(name)
    built = time.perf_counter() - started
    peak = _status("VmHWM")
    if response.status_code != 202 or build is None:
        raise SystemExit(f"{url}: {response.status_code}, then no build")
    gc.collect()
    elapsed, size, _status_code = fetch(url)
    Export.objects.filter(dataset=name).delete()
    return {
        "request_seconds": request,
        "request_status": response.status_code,
        "build_seconds": built,
        "ready_seconds": request + built,
        "seconds": elapsed,
        "bytes": size,
        "rows": build.rows,
        "rss_before": before,
        "rss_peak": peak,
        "rss_after": _status("VmRSS"),
    }


def run_child(code: str, database: str, mode: str, args, conn_max_age: str | None = None) -> dict:
    env = dict(os.environ, DATABASE_URL=database)
    env.pop("MIGRATION_DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    env.pop("DEFAULT_PROGRAMME", None)
    env.pop("CONN_MAX_AGE", None)
    if conn_max_age is not None:
        env["CONN_MAX_AGE"] = conn_max_age
    if mode != "healthz":
        # Tasks are queued, as the web process queues them, and never run here: a page's time is
        # its own (/healthz would ping the broker, so it keeps running them eagerly, as before).
        env["CELERY_BROKER_URL"] = "memory://"
    exports_root = tempfile.mkdtemp(prefix="pages_bench_exports_")
    env["EXPORTS_ROOT"] = exports_root
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--mode",
        mode,
        "--code",
        code,
        "--runs",
        str(args.runs),
        "--warmup",
        str(args.warmup),
    ]
    try:
        output = subprocess.run(command, env=env, capture_output=True, text=True)
    finally:
        shutil.rmtree(exports_root, ignore_errors=True)
    if output.returncode:
        sys.exit(f"{mode} on {database} with {code} failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", help="DATABASE_URL of the ~100-project programme")
    parser.add_argument("--large", help="DATABASE_URL of the 100,000-project programme")
    parser.add_argument("--baseline-code", help="a copy of the code before the change")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--code", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if not (args.small and args.large):
        parser.error("--small and --large are required")

    codes = [("now", str(ROOT))]
    if args.baseline_code:
        codes.insert(0, ("before", args.baseline_code))
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores")
    print(
        f"median of {args.runs} requests × {args.rounds} rounds, each after {args.warmup} "
        "warm-up, cache cleared each time\n"
    )

    # Rounds take turns between the columns, so that the machine's load, which drifts over a
    # run, weighs on every column alike.
    samples: dict[tuple[str, str], dict[str, list[float]]] = {}
    for _round in range(args.rounds):
        for label, code in codes:
            for size, database in (("small", args.small), ("large", args.large)):
                times = run_child(code, database, "pages", args)
                column = samples.setdefault((label, size), {})
                for page, values in times.items():
                    column.setdefault(page, []).extend(values)
    pages = {
        key: {page: statistics.median(values) for page, values in column.items()}
        for key, column in samples.items()
    }
    header = "".join(
        f"{label + ' ' + size:>16}" for label, _code in codes for size in ("100", "100k")
    )
    print(f"{'page':<22}{header}   large/small (now)")
    for page in PAGES:
        cells = "".join(
            f"{ms(pages[(label, size)][page]):>16}"
            for label, _code in codes
            for size in ("small", "large")
        )
        ratio = pages[("now", "large")][page] / pages[("now", "small")][page]
        print(f"{page:<22}{cells}   {ratio:5.2f}×")

    print("\ndownloads of the 100,000-project programme (one request each, in a fresh worker)")
    for label, code in codes:
        exports = run_child(code, args.large, "exports", args)
        for url, row in exports.items():
            if "build_seconds" in row:
                print(
                    f"{label:<7}{url:<24}request {row['request_seconds']:5.2f} s "
                    f"({row['request_status']}), file ready after {row['ready_seconds']:6.2f} s "
                    f"(built in {row['build_seconds']:.2f} s, {row['rows']:,} rows; peak RSS "
                    f"{row['rss_peak'] / MIB:.0f} MiB from {row['rss_before'] / MIB:.0f} MiB)"
                )
                print(
                    f"{'':<31}then served in {row['seconds']:5.2f} s "
                    f"{row['bytes'] / MIB:6.1f} MiB sha256 {row['sha256']}"
                )
                continue
            print(
                f"{label:<7}{url:<24}{row['seconds']:7.2f} s {row['bytes'] / MIB:6.1f} MiB "
                f"sha256 {row['sha256']}  "
                f"RSS before {row['rss_before'] / MIB:6.0f} MiB, peak "
                f"{row['rss_peak'] / MIB:6.0f} MiB, after {row['rss_after'] / MIB:6.0f} MiB"
            )

    print(f"\n/healthz, median of {args.runs * 10} requests (100-project database)")
    for label, code in codes:
        for age in ("0", "600"):
            settings_note = f"CONN_MAX_AGE={age}"
            result = run_child(code, args.small, "healthz", args, conn_max_age=age)
            print(f"{label:<7}{settings_note:<18}{ms(result['/healthz'])}")
    default = run_child(str(ROOT), args.small, "healthz", args)
    print(f"{'now':<7}{'(default)':<18}{ms(default['/healthz'])}")


if __name__ == "__main__":
    main()
