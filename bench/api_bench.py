"""The API's list endpoints against the raw baseline: a page of 50 through the whole Django stack
beside the same rows fetched by one hand-written SQL query, turned into the same JSON keys and
dumped with json.dumps.

    DATABASE_URL=postgres://aidportal_app@127.0.0.1:5432/aidportal_bench \\
        .venv/bin/python bench/api_bench.py [--runs 30 --warmup 5]

Runs on whatever the database holds (the demo, or the synthetic programme of
bench/generate_ledger.py); it writes nothing. Before timing, each baseline is checked to give the
same rows and values as the API (the JSON parsed and compared). See bench/README.md.
"""

import argparse
import json
import os
import platform
import sys
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from funding_bench import measure, ordering_of, raw_page, setup_django  # noqa: E402

PAGE_SIZE = 50
HOST = "http://localhost"


def labels_of(model, field: str) -> dict[str, str]:
    """A choice field's labels in the active language, computed once as a baseline would."""
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


def moment(value, tz) -> str | None:
    """A timestamp as DRF writes it: in the site's zone, ISO 8601, UTC as Z."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def day(value) -> str | None:
    return value.isoformat() if value is not None else None


def page_links(url: str, count: int) -> tuple[str | None, None]:
    """DRF's next and previous links of a first page (`page` goes first in the query)."""
    path, query = url.split("?")
    return (f"{HOST}{path}?page=2&{query}" if count > PAGE_SIZE else None), None


def projects_raw(cursor, url: str) -> Callable[[], bytes]:
    from projects.models import Project
    from reference.models import Place

    tz = zoneinfo.ZoneInfo(os.environ.get("TZ_NAME", "Asia/Shanghai"))
    field, category, status, unit = (
        labels_of(Project, name) for name in ("field", "category", "status", "beneficiary_unit")
    )
    level = labels_of(Place, "level")
    query = f"""
        SELECT (SELECT count(*) FROM projects_project WHERE published), p.code,
            p.title_zh_hans, p.title_en, p.summary_zh_hans, p.summary_en, g.code,
            pp.code, pp.name_zh_hans, pp.name_en, pp.start_year, pp.end_year,
            p.field, p.category, p.status, pl.id, pl.name_zh_hans, pl.name_en, pl.level,
            p.planned_start, p.planned_end, p.actual_start, p.actual_end, p.planned_investment,
            p.currency, p.flagship, p.beneficiaries, p.beneficiary_unit, p.illustrative_fields,
            p.updated_at
        FROM projects_project p
        JOIN reference_programme g ON g.id = p.programme_id
        LEFT JOIN reference_planperiod pp ON pp.id = p.plan_period_id
        LEFT JOIN reference_place pl ON pl.id = p.place_id
        WHERE p.published
        ORDER BY p.code
        LIMIT {PAGE_SIZE}
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results = [
            {
                "code": r[1],
                "url": f"{HOST}/api/v1/projects/{r[1]}/",
                "title": {"zh-hans": r[2] or "", "en": r[3] or ""},
                "summary": {"zh-hans": r[4] or "", "en": r[5] or ""},
                "programme": r[6],
                "plan_period": None
                if r[7] is None
                else {
                    "code": r[7],
                    "name": {"zh-hans": r[8] or "", "en": r[9] or ""},
                    "start_year": r[10],
                    "end_year": r[11],
                },
                "field": r[12],
                "field_label": field.get(r[12], r[12]),
                "category": r[13],
                "category_label": category.get(r[13], r[13]),
                "status": r[14],
                "status_label": status.get(r[14], r[14]),
                "place": None
                if r[15] is None
                else {
                    "id": r[15],
                    "name": {"zh-hans": r[16] or "", "en": r[17] or ""},
                    "level": r[18],
                    "level_label": level.get(r[18], r[18]),
                },
                "planned_start": day(r[19]),
                "planned_end": day(r[20]),
                "actual_start": day(r[21]),
                "actual_end": day(r[22]),
                "planned_investment": None if r[23] is None else str(r[23]),
                "currency": r[24],
                "flagship": r[25],
                "beneficiaries": r[26],
                "beneficiary_unit": r[27],
                "beneficiary_unit_label": unit.get(r[27], r[27]),
                # Django's connection hands jsonb over as text.
                "illustrative_fields": json.loads(r[28]),
                "updated_at": moment(r[29], tz),
            }
            for r in rows
        ]
        following, previous = page_links(url, count)
        return json.dumps(
            {"count": count, "next": following, "previous": previous, "results": results},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    return run


def updates_raw(cursor, url: str) -> Callable[[], bytes]:
    tz = zoneinfo.ZoneInfo(os.environ.get("TZ_NAME", "Asia/Shanghai"))
    query = f"""
        SELECT u.id, p.code, o.code, u.date, u.title_zh_hans, u.title_en, u.text_zh_hans,
            u.text_en, u.published, u.illustrative, u.created_at, u.updated_at,
            EXISTS (SELECT 1 FROM projects_photo ph WHERE ph.update_id = u.id)
        FROM projects_progressupdate u
        JOIN projects_project p ON p.id = u.project_id
        LEFT JOIN reference_organisation o ON o.id = u.organisation_id
        WHERE u.published AND p.published
        ORDER BY u.updated_at, u.id
        LIMIT {PAGE_SIZE + 1}
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        if any(r[12] for r in rows):
            sys.exit("The updates baseline writes no photos: this database has some.")
        if len(rows) > PAGE_SIZE:
            sys.exit("The updates baseline covers a first page that is the last.")
        results = [
            {
                "id": r[0],
                "url": f"{HOST}/api/v1/updates/{r[0]}/",
                "project": r[1],
                "organisation": r[2],
                "date": day(r[3]),
                "title": {"zh-hans": r[4] or "", "en": r[5] or ""},
                "text": {"zh-hans": r[6] or "", "en": r[7] or ""},
                "published": r[8],
                "illustrative": r[9],
                "photos": [],
                "created_at": moment(r[10], tz),
                "updated_at": moment(r[11], tz),
            }
            for r in rows
        ]
        return json.dumps(
            {"next": None, "previous": None, "results": results},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    return run


def organisations_raw(cursor, url: str) -> Callable[[], bytes]:
    from reference.models import Organisation

    types = labels_of(Organisation, "type")
    query = f"""
        SELECT (SELECT count(*) FROM reference_organisation), o.code, o.name_zh_hans, o.name_en,
            o.short_name_zh_hans, o.short_name_en, o.type, parent.code
        FROM reference_organisation o
        LEFT JOIN reference_organisation parent ON parent.id = o.parent_id
        ORDER BY o.code
        LIMIT {PAGE_SIZE}
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results = [
            {
                "code": r[1],
                "name": {"zh-hans": r[2] or "", "en": r[3] or ""},
                "short_name": {"zh-hans": r[4] or "", "en": r[5] or ""},
                "type": r[6],
                "type_label": types.get(r[6], r[6]),
                "iati_type": Organisation.IATI_CODES[r[6]],
                "parent": r[7],
            }
            for r in rows
        ]
        following, previous = page_links(url, count)
        return json.dumps(
            {"count": count, "next": following, "previous": previous, "results": results},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    return run


def entries_raw(cursor, url: str) -> Callable[[], bytes]:
    from django.db import connection
    from django.urls import resolve

    from funding.models import LedgerEntry

    view_class = resolve(url.split("?")[0]).func.cls  # type: ignore[attr-defined]  # DRF's as_view()
    return raw_page(
        connection,
        ordering_of(view_class),
        labels_of(LedgerEntry, "type"),
        f"{HOST}/api/v1/funding/entries/",
    )


# The list endpoints with a hand-written baseline, and the page each one is measured on.
ENDPOINTS: list[tuple[str, Callable[[Any, str], Callable[[], bytes]]]] = [
    (f"/api/v1/projects/?page_size={PAGE_SIZE}", projects_raw),
    (f"/api/v1/updates/?page_size={PAGE_SIZE}", updates_raw),
    (f"/api/v1/organisations/?page_size={PAGE_SIZE}", organisations_raw),
    (f"/api/v1/funding/entries/?page_size={PAGE_SIZE}", entries_raw),
]


def same(api: Any, raw: Any) -> bool:
    """The baseline gives the API's rows and values; for the entries (a keyset page) the links
    are left out, as in bench/funding_bench.py."""
    if "count" not in api:
        api = {**api, "next": None, "previous": None}
    return bool(api == raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--language", default="en", help="Accept-Language of the API requests")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://…/aidportal_bench")
    setup_django()

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from projects.models import Project

    os.environ["TZ_NAME"] = settings.TIME_ZONE
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE=args.language)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        cursor.execute("SELECT current_database()")
        name = cursor.fetchone()[0]
    projects = Project.objects.count()
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())

    rows = []
    verdicts = []
    with connection.cursor() as cursor:
        for url, baseline in ENDPOINTS:
            response = client.get(url)
            assert response.status_code == 200, (url, response.content[:300])
            # The labels in the language asked for (a request leaves the site's default active).
            with translation.override(args.language):
                raw = baseline(cursor, url)
            api_body, raw_body = response.json(), json.loads(raw())
            if not same(api_body, raw_body):
                sys.exit(f"The baseline of {url} does not give the API's answer.")
            api_median, _ = measure(
                lambda url=url: client.get(url), runs=args.runs, warmup=args.warmup
            )
            raw_median, _ = measure(raw, runs=args.runs, warmup=args.warmup)
            ratio = api_median / raw_median
            verdicts.append(ratio <= 3)
            rows.append(
                (
                    url,
                    str(len(api_body["results"])),
                    f"{api_median:7.2f} ms",
                    f"{raw_median:7.2f} ms",
                    f"{ratio:6.2f} ×",
                    "PASS" if ratio <= 3 else "FAIL",
                )
            )

    print()
    print(
        f"AidPortal API benchmark — database {name} ({projects:,} projects), PostgreSQL "
        f"{server.split()[0]}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"Load average before the runs: {load}")
    print(
        f"Accept-Language {args.language}, anonymous; medians of {args.runs} runs after "
        f"{args.warmup} warm-up, one reused connection, no cache; target: API ≤ 3 × raw"
    )
    header = ("endpoint (page of 50)", "rows", "API", "raw", "ratio", "result")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    sys.exit(0 if all(verdicts) else 1)


if __name__ == "__main__":
    main()
