"""Public pages at two sizes of programme: does a page's time grow with the programme? Also the
downloads' time and the worker's memory around them, and /healthz with and without persistent
database connections.

    .venv/bin/python bench/pages_bench.py \\
        --small postgres://aidportal_app@127.0.0.1:5432/aidportal_small_c15 \\
        --large postgres://aidportal_app@127.0.0.1:5432/aidportal_bench_c15 \\
        [--baseline-code /tmp/aidportal_before] [--runs 5 --rounds 3]

Both databases are migrated and hold one programme made by bench/generate_ledger.py (about 100
projects, and 100,000). Each measurement runs in a fresh Python process (`--child`) with
`DEBUG=0`, the Django test client (the whole middleware stack, in process) and the application
cache cleared before every request, so that every page computes its figures: the time a reader
waits on the first request after any record changes. The columns take turns, `--rounds` times,
so that the machine's drifting load weighs on each alike. `--baseline-code` names a copy of the code
before this change (e.g. `git archive <commit> | tar -x -C DIR`), measured the same way against
the same databases and printed beside it.
"""

import argparse
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
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
        for url in EXPORTS:
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


def run_child(code: str, database: str, mode: str, args, conn_max_age: str | None = None) -> dict:
    env = dict(os.environ, DATABASE_URL=database)
    env.pop("MIGRATION_DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    env.pop("DEFAULT_PROGRAMME", None)
    env.pop("CONN_MAX_AGE", None)
    if conn_max_age is not None:
        env["CONN_MAX_AGE"] = conn_max_age
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
    output = subprocess.run(command, env=env, capture_output=True, text=True)
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
