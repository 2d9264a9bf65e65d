"""The load test's visitors: readers of the public pages, API clients, and a few partner writes.

Run by `bench/load_test.py`, which prepares the keys and passes them in the environment:

    LOAD_TEST_READ_KEY       a partner key without capabilities (API reads)
    LOAD_TEST_UPDATES_KEY    a key with updates:write, of a participant of LOAD_TEST_UPDATES_PROJECT
    LOAD_TEST_FUNDING_KEY    a key with funding:entries, of the funder of LOAD_TEST_FUNDING_PROJECT
    LOAD_TEST_PROJECTS       published project codes, comma-separated
    LOAD_TEST_CA_BUNDLE      the certificate to trust when the host is https (the stack's own)
    LOAD_TEST_REPORT         where to write the figures per group as JSON

Every request is named "<group> <what>"; the groups are `page` (public pages), `api-read` and
`api-write`. Each write is sent twice with the same Idempotency-Key: the second answer must be
the first one replayed (`Idempotent-Replayed: true`), or it counts as an error.
"""

import datetime
import json
import os
import random
import uuid
from collections import defaultdict

from load_paths import API_LISTS, LANGUAGES, PAGES
from locust import HttpUser, between, events, task
from locust.stats import StatsEntry

GROUPS = ("page", "api-read", "api-write")
PERCENTILES = (0.5, 0.95, 0.99)

PROJECTS = [code for code in os.environ.get("LOAD_TEST_PROJECTS", "").split(",") if code]
READ_KEY = os.environ.get("LOAD_TEST_READ_KEY", "")
UPDATES_KEY = os.environ.get("LOAD_TEST_UPDATES_KEY", "")
UPDATES_PROJECT = os.environ.get("LOAD_TEST_UPDATES_PROJECT", "")
FUNDING_KEY = os.environ.get("LOAD_TEST_FUNDING_KEY", "")
FUNDING_PROJECT = os.environ.get("LOAD_TEST_FUNDING_PROJECT", "")
CA_BUNDLE = os.environ.get("LOAD_TEST_CA_BUNDLE", "")


def project() -> str:
    return random.choice(PROJECTS)


class Visitor(HttpUser):
    """A reader of the public pages, in either language, who now and then opens a project."""

    weight = 3
    wait_time = between(1, 3)

    def on_start(self) -> None:
        if CA_BUNDLE:
            self.client.verify = CA_BUNDLE

    @task(6)
    def page(self) -> None:
        language = random.choice(LANGUAGES)
        path = random.choice(PAGES)
        self.client.get(f"{language}{path}", name=f"page {language}{path}")

    @task(3)
    def project_page(self) -> None:
        language = random.choice(LANGUAGES)
        path = f"{language}/projects/{project()}/"
        self.client.get(path, name=f"page {language}/projects/<code>/")


class ApiClient(HttpUser):
    """A partner system reading lists and records with its key, and sometimes writing."""

    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        if CA_BUNDLE:
            self.client.verify = CA_BUNDLE
        self.client.headers["Authorization"] = f"Bearer {READ_KEY}"
        self.client.headers["Accept-Language"] = random.choice(("zh-hans", "en"))

    @task(6)
    def api_list(self) -> None:
        path = random.choice(API_LISTS)
        self.client.get(path, name=f"api-read {path}")

    @task(3)
    def api_project(self) -> None:
        self.client.get(f"/api/v1/projects/{project()}/", name="api-read /api/v1/projects/<code>/")

    @task(1)
    def api_entries_of_project(self) -> None:
        self.client.get(
            f"/api/v1/funding/entries/?project={project()}",
            name="api-read /api/v1/funding/entries/?project=<code>",
        )

    @task(1)
    def post_update(self) -> None:
        today = datetime.date.today().isoformat()
        marker = uuid.uuid4().hex[:8]
        self._write(
            "/api/v1/updates/",
            UPDATES_KEY,
            {
                "project": UPDATES_PROJECT,
                "date": today,
                "title": {"zh-hans": f"负载测试进展 {marker}", "en": f"Load test {marker}"},
            },
        )

    @task(1)
    def post_entry(self) -> None:
        self._write(
            "/api/v1/funding/entries/",
            FUNDING_KEY,
            {
                "project": FUNDING_PROJECT,
                "type": "incoming_commitment",
                "date": datetime.date.today().isoformat(),
                "amount": f"{random.randint(1, 999)}.{random.randint(0, 99):02d}",
                "voucher": f"LOAD-{uuid.uuid4().hex[:10]}",
            },
        )

    def _write(self, path: str, key: str, body: dict) -> None:
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())}
        name = f"api-write POST {path}"
        with self.client.post(
            path, json=body, headers=headers, name=name, catch_response=True
        ) as first:
            if first.status_code != 201:
                first.failure(f"{first.status_code}: {first.text[:200]}")
                return
        with self.client.post(
            path, json=body, headers=headers, name=f"{name} (retry)", catch_response=True
        ) as retry:
            if retry.status_code != 201 or retry.headers.get("Idempotent-Replayed") != "true":
                retry.failure(f"not replayed: {retry.status_code} {retry.headers}")
            elif retry.json() != first.json():
                retry.failure("the replayed answer differs from the first")


def group_figures(stats) -> dict[str, dict]:
    """Requests, failures and latency percentiles per group, from locust's own histograms."""
    members: defaultdict[str, list[StatsEntry]] = defaultdict(list)
    for entry in stats.entries.values():
        members[entry.name.split(" ", 1)[0]].append(entry)
    figures = {}
    for group in GROUPS:
        total = StatsEntry(stats, group, "", use_response_times_cache=False)
        for entry in members.get(group, []):
            total.extend(entry)
        figures[group] = {
            "requests": total.num_requests,
            "failures": total.num_failures,
            "rps": round(total.total_rps, 1),
            **{
                f"p{round(p * 100)}": total.get_response_time_percentile(p)
                if total.num_requests
                else None
                for p in PERCENTILES
            },
        }
    everything = stats.total
    figures["all"] = {
        "requests": everything.num_requests,
        "failures": everything.num_failures,
        "rps": round(everything.total_rps, 1),
        **{
            f"p{round(p * 100)}": everything.get_response_time_percentile(p)
            if everything.num_requests
            else None
            for p in PERCENTILES
        },
    }
    figures["errors"] = {
        f"{error.method} {error.name}: {error.error}": error.occurrences
        for error in stats.errors.values()
    }
    return figures


@events.quitting.add_listener
def report(environment, **kwargs) -> None:
    path = os.environ.get("LOAD_TEST_REPORT")
    if path:
        with open(path, "w") as out:
            json.dump(group_figures(environment.stats), out, indent=2)
