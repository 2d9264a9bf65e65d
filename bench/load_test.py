"""The load test with its targets: 50 users for 60 s against the demo, then `check_ledger`.

    DATABASE_URL=postgres://aidportal_app@127.0.0.1:5432/aidportal_load \\
    MIGRATION_DATABASE_URL=postgres://aidportal_owner@127.0.0.1:5432/aidportal_load \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/load_test.py

It migrates the database and loads the demo (both change nothing when done already), creates a
finance approver `load-test-approver` and three partner keys with `manage.py create_api_key`
(a read-only one, one with updates:write and one with funding:entries), starts gunicorn on a
free loopback port (unless `--host` names a running portal, as `make prod-smoke` does through
nginx), runs `bench/locustfile.py` headless, bounded in users and time, stops gunicorn, runs
`manage.py check_ledger` and prints each target with PASS or FAIL. It exits 1 if any fails.

The load test writes progress updates (unpublished) and small incoming commitments: run it on a
database of its own, never on one that matters. The API's rate limits are raised for the run
(all users share one address and three keys; the limits are tested elsewhere), as they are in
the stack `make prod-smoke` starts.
"""

import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# What the load test asks of the portal (issue 15): p95 in milliseconds per group.
TARGETS = {"page": 100, "api-read": 200}
UNLIMITED = {"API_RATE_ANONYMOUS": "1000000/minute", "API_RATE_CALLER": "1000000/minute"}
APPROVER = "load-test-approver"


def manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env or os.environ.copy(),
        capture_output=True,
        text=True,
    )


def must(result: subprocess.CompletedProcess, what: str) -> str:
    if result.returncode != 0:
        sys.exit(f"{what} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def participants() -> dict[str, str]:
    """Published demo projects, and a funder and an implementer of one of them, by code."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidportal.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from projects.models import Participant, Project

    published = Project.objects.filter(published=True).order_by("code")
    codes = list(published.values_list("code", flat=True))
    if not codes:
        sys.exit("The database holds no published project: load the demo first.")
    funder = (
        Participant.objects.filter(project__in=published, role=Participant.Role.FUNDING)
        .select_related("project", "organisation")
        .order_by("project__code")
        .first()
    )
    implementer = (
        Participant.objects.filter(project__in=published, role=Participant.Role.IMPLEMENTING)
        .select_related("project", "organisation")
        .order_by("project__code")
        .first()
    )
    if funder is None or implementer is None:
        sys.exit("No published project has both a funder and an implementer.")
    approver, _created = get_user_model().objects.get_or_create(username=APPROVER)
    approver.groups.add(Group.objects.get(name="Finance approver"))
    return {
        "projects": ",".join(codes),
        "funding_project": funder.project.code,
        "funder": funder.organisation.code,
        "updates_project": implementer.project.code,
        "implementer": implementer.organisation.code,
    }


def new_key(organisation: str, *options: str) -> str:
    out = must(
        manage("create_api_key", organisation, "--name", "load test", *options),
        "create_api_key",
    )
    return out.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, **UNLIMITED, "ALLOWED_HOSTS": "127.0.0.1"}
    env.setdefault("CONN_MAX_AGE", "60")
    env.pop("DEBUG", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "aidportal.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--preload",
            # Longer than a user's pause between requests (1-3 s), or a request sent on a kept
            # connection races the server closing it (a reset the user would see)
            "--keep-alive=10",
            "--no-control-socket",
            f"--error-logfile={log}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.with_suffix(".out").open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return process
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    process.terminate()
    sys.exit("gunicorn did not answer /healthz within 90 s")


def warm_up(host: str, projects: list[str], key: str, ca_bundle: str | None) -> int:
    """Ask once, twice over, for every page and list the visitors will ask for (both languages,
    every project), so the timed run meets warm processes and kept pages, as a portal that has
    been serving does. Returns how many requests it sent; any answer but a 200 stops the test."""
    from load_paths import API_LISTS, LANGUAGES, PAGES

    context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else None
    pages = [f"{language}{path}" for language in LANGUAGES for path in PAGES]
    pages += [f"{language}/projects/{code}/" for language in LANGUAGES for code in projects]
    asked: list[tuple[str, dict[str, str]]] = [(path, {}) for path in pages]
    asked += [(path, {"Authorization": f"Bearer {key}"}) for path in API_LISTS]
    for _ in range(2):
        for path, headers in asked:
            request = urllib.request.Request(host + path, headers=headers)
            with urllib.request.urlopen(request, context=context, timeout=60) as answer:
                if answer.status != 200:
                    sys.exit(f"warm-up: {path} answered {answer.status}")
    return 2 * len(asked)


def milliseconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s", help="locust's --run-time, e.g. 60s")
    parser.add_argument("--host", help="a running portal (e.g. https://127.0.0.1:8443)")
    parser.add_argument("--ca-bundle", help="the certificate an https --host is trusted by")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument(
        "--no-prepare", action="store_true", help="skip migrate and load_demo (done already)"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL (the runtime role) to a PostgreSQL database for the load test.")

    if not args.no_prepare:
        if os.environ.get("MIGRATION_DATABASE_URL"):
            must(manage("migrate", "--noinput", "--database", "owner"), "migrate")
        must(manage("load_demo"), "load_demo")
    found = participants()
    keys = {
        "LOAD_TEST_READ_KEY": new_key(found["implementer"]),
        "LOAD_TEST_UPDATES_KEY": new_key(found["implementer"], "--capability", "updates:write"),
        "LOAD_TEST_FUNDING_KEY": new_key(
            found["funder"], "--capability", "funding:entries", "--granted-by", APPROVER
        ),
    }

    workdir = Path(tempfile.mkdtemp(prefix="load-test-"))
    report = workdir / "report.json"
    server = None
    host = args.host
    if host is None:
        port = free_port()
        server = start_gunicorn(port, args.workers, args.threads, workdir / "gunicorn.log")
        host = f"http://127.0.0.1:{port}"
        served_by = f"gunicorn, {args.workers} processes x {args.threads} threads (gthread)"
    else:
        served_by = host
    env = {
        **os.environ,
        **keys,
        "LOAD_TEST_PROJECTS": found["projects"],
        "LOAD_TEST_UPDATES_PROJECT": found["updates_project"],
        "LOAD_TEST_FUNDING_PROJECT": found["funding_project"],
        "LOAD_TEST_CA_BUNDLE": args.ca_bundle or "",
        "LOAD_TEST_REPORT": str(report),
    }
    try:
        warmed = warm_up(
            host, found["projects"].split(","), keys["LOAD_TEST_READ_KEY"], args.ca_bundle
        )
        load_before = os.getloadavg()
        subprocess.run(
            [
                str(Path(sys.executable).parent / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--only-summary",
                f"--users={args.users}",
                f"--spawn-rate={args.spawn_rate}",
                f"--run-time={args.run_time}",
                f"--host={host}",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            check=False,  # locust exits 1 on any failure; the report says which
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
    load_after = os.getloadavg()
    print(f"the report{' and gunicorn logs' if server else ''}: {workdir}")
    if not report.exists():
        sys.exit("locust wrote no report")
    figures = json.loads(report.read_text())
    ledger = manage("check_ledger")

    print()
    print(
        f"Load test: {args.users} users, {args.run_time}, against {served_by}; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"({os.cpu_count()} cores); warmed up by {warmed} requests before"
    )
    header = f"{'group':<10} {'requests':>9} {'req/s':>7} {'p50':>8} {'p95':>8} {'p99':>8}"
    print(f"{header} {'errors':>7}  target")
    results = []
    for group in ("page", "api-read", "api-write", "all"):
        row = figures[group]
        target = TARGETS.get(group)
        verdict = ""
        if target is not None:
            ok = row["requests"] > 0 and row["p95"] is not None and row["p95"] < target
            results.append(ok)
            verdict = f"p95 < {target} ms: {'PASS' if ok else 'FAIL'}"
        print(
            f"{group:<10} {row['requests']:>9} {row['rps']:>7} {milliseconds(row['p50']):>8} "
            f"{milliseconds(row['p95']):>8} {milliseconds(row['p99']):>8} "
            f"{row['failures']:>7}  {verdict}"
        )
    writes = figures["api-write"]["requests"]
    no_errors = figures["all"]["failures"] == 0 and writes > 0
    results.append(no_errors)
    print(f"zero errors ({writes} writes among them): {'PASS' if no_errors else 'FAIL'}")
    for error, count in figures["errors"].items():
        print(f"  {count} x {error}")
    clean = ledger.returncode == 0
    results.append(clean)
    said = (ledger.stdout + ledger.stderr).strip().splitlines()
    last = said[-1] if said else ""
    print(f"check_ledger clean afterwards: {'PASS' if clean else 'FAIL'} ({last})")
    print("PASS" if all(results) else "FAIL")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
