"""The API's list endpoints against the raw baseline: a page of 50 through the whole Django stack
beside the same rows fetched by one hand-written SQL query, turned into the same JSON keys and
dumped with json.dumps.

    DATABASE_URL=postgres://aidportal_app@127.0.0.1:5432/aidportal_bench \\
        .venv/bin/python bench/api_bench.py [--runs 60 --warmup 5]

Runs on whatever the database holds (the demo, or the synthetic programme of
bench/generate_ledger.py); it writes nothing. Before timing, each baseline is checked to give the
same rows and values as the API (the JSON parsed and compared). Every list an anonymous caller
reads is measured (ENDPOINTS); below them a floor, not a target: a list with no row to answer
(the change feed after its last event), the fixed cost of one request through the same stack.
See bench/README.md.
"""

import argparse
import base64
import functools
import json
import os
import platform
import statistics
import sys
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from funding_bench import measure, ordering_of, raw_page, setup_django  # noqa: E402


def interleaved(functions: list[Callable[[], Any]], *, runs: int, warmup: int) -> list[list[float]]:
    """Timings in milliseconds of each function, called in turn run after run."""
    for _ in range(warmup):
        for function in functions:
            function()
    timings: list[list[float]] = [[] for _ in functions]
    for _ in range(runs):
        for function, times in zip(functions, timings, strict=True):
            started = time.perf_counter()
            function()
            times.append((time.perf_counter() - started) * 1000)
    return timings


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


def filters_of(url: str) -> dict[str, str]:
    """The query parameters of a list's address, each once."""
    return {name: values[-1] for name, values in parse_qs(url.partition("?")[2]).items()}


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
        SELECT (SELECT count(*) FROM reference_organisation), o.code, o.name_zh_hans,
            o.name_en, o.short_name_zh_hans, o.short_name_en, o.type, parent.code
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


def bilingual(zh_hans: str | None, en: str | None) -> dict[str, str]:
    """Both languages of a text, a missing one as an empty string (core.rest.BilingualField)."""
    return {"zh-hans": zh_hans or "", "en": en or ""}


def in_language(language: str, zh_hans: str | None, en: str | None) -> str:
    """A translated text read as one value, as modeltranslation reads it: the language asked
    for, else the other (MODELTRANSLATION_FALLBACK_LANGUAGES), else an empty string."""
    first, second = (en, zh_hans) if language == "en" else (zh_hans, en)
    return first or second or ""


def decimal(value) -> str | None:
    """A decimal column as DRF writes it (COERCE_DECIMAL_TO_STRING): the column's own scale."""
    return None if value is None else str(value)


def stored_json(value) -> Any:
    # Django's connection hands jsonb over as text.
    return json.loads(value) if isinstance(value, str) else value


def dump(answer: dict[str, Any]) -> bytes:
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


def counted(url: str, count: int, results: list[dict[str, Any]]) -> bytes:
    """A first numbered page as DRF's PageNumberPagination gives it."""
    following, previous = page_links(url, count)
    return dump({"count": count, "next": following, "previous": previous, "results": results})


def places_raw(cursor, url: str) -> Callable[[], bytes]:
    from django.utils import translation

    from reference.models import Place

    level = labels_of(Place, "level")
    # The model orders by ("admin_code", "name"): modeltranslation sorts by the active
    # language's column.
    name = "name_en" if translation.get_language() == "en" else "name_zh_hans"
    query = f"""
        SELECT (SELECT count(*) FROM reference_place), pl.id, pl.name_zh_hans, pl.name_en,
            pl.level, pl.parent_id, pl.admin_code, pl.latitude, pl.longitude
        FROM reference_place pl
        ORDER BY pl.admin_code, pl.{name}
        LIMIT {PAGE_SIZE}
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results = [
            {
                "id": r[1],
                "name": bilingual(r[2], r[3]),
                "level": r[4],
                "level_label": level.get(r[4], r[4]),
                "parent": r[5],
                "admin_code": r[6],
                "latitude": decimal(r[7]),
                "longitude": decimal(r[8]),
            }
            for r in rows
        ]
        return counted(url, count, results)

    return run


def programmes_raw(cursor, url: str) -> Callable[[], bytes]:
    # The page of programmes, then their plan periods joined to it (a programme without one
    # gives one row of NULLs).
    query = f"""
        SELECT g.total, g.id, g.code, g.name_zh_hans, g.name_en, g.description_zh_hans,
            g.description_en, g.donor, g.partner, g.partner_place_id, g.started_on,
            pp.code, pp.name_zh_hans, pp.name_en, pp.start_year, pp.end_year
        FROM (
            SELECT (SELECT count(*) FROM reference_programme) AS total, g.id, g.code,
                g.name_zh_hans, g.name_en, g.description_zh_hans, g.description_en,
                donor.code AS donor, partner.code AS partner, g.partner_place_id, g.started_on
            FROM reference_programme g
            JOIN reference_organisation donor ON donor.id = g.donor_id
            JOIN reference_organisation partner ON partner.id = g.partner_id
            ORDER BY g.code
            LIMIT {PAGE_SIZE}
        ) g
        LEFT JOIN reference_planperiod pp ON pp.programme_id = g.id
        ORDER BY g.code, pp.start_year, pp.id
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results: list[dict[str, Any]] = []
        last = None
        for r in rows:
            if r[1] != last:
                last = r[1]
                results.append(
                    {
                        "code": r[2],
                        "name": bilingual(r[3], r[4]),
                        "description": bilingual(r[5], r[6]),
                        "donor": r[7],
                        "partner": r[8],
                        "partner_place": r[9],
                        "started_on": day(r[10]),
                        "periods": [],
                    }
                )
            if r[11] is not None:
                results[-1]["periods"].append(
                    {
                        "code": r[11],
                        "name": bilingual(r[12], r[13]),
                        "start_year": r[14],
                        "end_year": r[15],
                    }
                )
        return counted(url, count, results)

    return run


def timeline_raw(cursor, url: str) -> Callable[[], bytes]:
    from projects.models import TimelineEvent

    precision = labels_of(TimelineEvent, "date_precision")
    query = f"""
        SELECT (SELECT count(*) FROM projects_timelineevent WHERE published), e.id,
            e.date, e.date_precision, e.title_zh_hans, e.title_en, e.text_zh_hans, e.text_en,
            e.illustrative, g.code, CASE WHEN p.published THEN p.code END
        FROM projects_timelineevent e
        JOIN reference_programme g ON g.id = e.programme_id
        LEFT JOIN projects_project p ON p.id = e.project_id
        WHERE e.published
        ORDER BY e.date DESC, e.id DESC
        LIMIT {PAGE_SIZE}
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results = [
            {
                "id": r[1],
                "date": day(r[2]),
                "date_precision": r[3],
                "date_precision_label": precision.get(r[3], r[3]),
                "title": bilingual(r[4], r[5]),
                "text": bilingual(r[6], r[7]),
                "illustrative": r[8],
                "programme": r[9],
                "project": r[10],
            }
            for r in rows
        ]
        return counted(url, count, results)

    return run


def donations_raw(cursor, url: str) -> Callable[[], bytes]:
    from django.utils import translation

    from funding.models import Donation

    language = translation.get_language() or ""
    kind, beneficiaries = labels_of(Donation, "kind"), labels_of(Donation, "beneficiaries")
    query = f"""
        SELECT count(*) OVER (), d.id, d.date, d.kind, d.value, g.code, donor.code,
            d.donor_name_zh_hans, d.donor_name_en, recipient.code, d.beneficiaries,
            d.purpose_zh_hans, d.purpose_en, p.code, d.illustrative
        FROM funding_donation d
        JOIN reference_programme g ON g.id = d.programme_id
        LEFT JOIN reference_organisation donor ON donor.id = d.donor_id
        LEFT JOIN reference_organisation recipient ON recipient.id = d.recipient_id
        LEFT JOIN projects_project p ON p.id = d.project_id
        WHERE d.published AND (d.project_id IS NULL OR p.published)
        ORDER BY d.date DESC, d.id DESC
        LIMIT {PAGE_SIZE}
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results = [
            {
                "id": r[1],
                "date": day(r[2]),
                "kind": r[3],
                "kind_label": kind.get(r[3], r[3]),
                "value": decimal(r[4]),
                "currency": "CNY",
                "programme": r[5],
                "donor": r[6],
                "donor_name": in_language(language, r[7], r[8]),
                "recipient": r[9],
                "beneficiaries": r[10],
                "beneficiaries_label": beneficiaries.get(r[10], r[10]),
                "purpose": bilingual(r[11], r[12]),
                "project": r[13],
                "illustrative": r[14],
            }
            for r in rows
        ]
        return counted(url, count, results)

    return run


# The programme a medical list shows without `?programme=`: DEFAULT_PROGRAMME when there is one
# by that code, else the first by code (reference.selectors.default_programme).
DEFAULT_PROGRAMME_ID = "(SELECT id FROM reference_programme ORDER BY code = %s DESC, code LIMIT 1)"


def default_programme_code() -> str:
    from django.conf import settings

    return settings.DEFAULT_PROGRAMME or ""


def medical_lists_raw(cursor, url: str) -> Callable[[], bytes]:
    from medical.models import CallList

    status = labels_of(CallList, "status")
    query = f"""
        SELECT count(*) OVER (), l.id, g.code, l.batch, l.title_zh_hans, l.title_en,
            issuer.code, l.status, l.published_on, l.claim_deadline, l.delivery_deadline,
            l.closed_on, (SELECT count(*) FROM medical_callitem i WHERE i.call_list_id = l.id),
            l.illustrative
        FROM medical_calllist l
        JOIN reference_programme g ON g.id = l.programme_id
        JOIN reference_organisation issuer ON issuer.id = l.issuer_id
        WHERE l.programme_id = {DEFAULT_PROGRAMME_ID} AND l.status IN ('published', 'closed')
        ORDER BY g.code, l.batch
        LIMIT {PAGE_SIZE}
    """
    parameters = [default_programme_code()]

    def run() -> bytes:
        cursor.execute(query, parameters)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results = [
            {
                "id": r[1],
                "programme": r[2],
                "batch": r[3],
                "title": bilingual(r[4], r[5]),
                "issuer": r[6],
                "status": r[7],
                "status_label": status.get(r[7], r[7]),
                "published_on": day(r[8]),
                "claim_deadline": day(r[9]),
                "delivery_deadline": day(r[10]),
                "closed_on": day(r[11]),
                "items": r[12],
                "illustrative": r[13],
            }
            for r in rows
        ]
        return counted(url, count, results)

    return run


def medical_items_raw(cursor, url: str) -> Callable[[], bytes]:
    from django.utils import translation

    from medical.models import CallItem, Claim

    language = translation.get_language() or ""
    category, status = labels_of(CallItem, "category"), labels_of(CallItem, "status")
    # The page of items, then the claims holding a place on each joined to it.
    query = f"""
        SELECT i.*, c.id, o.code, o.name_zh_hans, o.name_en, c.status
        FROM (
            SELECT count(*) OVER () AS total, i.id, i.call_list_id, l.batch, i.number,
                i.title_zh_hans, i.title_en, i.description_zh_hans, i.description_en,
                i.deliverables_zh_hans, i.deliverables_en, i.category, i.budget,
                coalesce(i.due_on, l.delivery_deadline) AS due_on, i.max_claimants,
                i.max_claimants - i.active_claims AS places_left, i.status, g.code AS programme
            FROM medical_callitem i
            JOIN medical_calllist l ON l.id = i.call_list_id
            JOIN reference_programme g ON g.id = l.programme_id
            WHERE l.programme_id = {DEFAULT_PROGRAMME_ID} AND l.status IN ('published', 'closed')
            ORDER BY g.code, l.batch, i.number
            LIMIT {PAGE_SIZE}
        ) i
        LEFT JOIN medical_claim c ON c.item_id = i.id AND c.status IN %s
        LEFT JOIN reference_organisation o ON o.id = c.organisation_id
        ORDER BY i.programme, i.batch, i.number, c.claimed_on, c.id
    """
    parameters = [default_programme_code(), tuple(Claim.HOLDING)]

    def run() -> bytes:
        cursor.execute(query, parameters)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results: list[dict[str, Any]] = []
        last = None
        for r in rows:
            if r[1] != last:
                last = r[1]
                results.append(
                    {
                        "id": r[1],
                        "list": r[2],
                        "batch": r[3],
                        "number": r[4],
                        "title": bilingual(r[5], r[6]),
                        "description": bilingual(r[7], r[8]),
                        "deliverables": bilingual(r[9], r[10]),
                        "category": r[11],
                        "category_label": category.get(r[11], r[11]),
                        "budget": decimal(r[12]),
                        "due_on": day(r[13]),
                        "max_claimants": r[14],
                        "places_left": r[15],
                        "status": r[16],
                        "status_label": status.get(r[16], r[16]),
                        "claimants": [],
                    }
                )
            if r[18] is not None:
                results[-1]["claimants"].append(
                    {
                        "claim": r[18],
                        "organisation": r[19],
                        "name": in_language(language, r[20], r[21]),
                        "status": r[22],
                    }
                )
        return counted(url, count, results)

    return run


def medical_claims_raw(cursor, url: str) -> Callable[[], bytes]:
    from django.utils import translation

    from medical.models import Claim

    language = translation.get_language() or ""
    status = labels_of(Claim, "status")
    query = f"""
        SELECT count(*) OVER (), c.id, i.id, i.title_zh_hans, i.title_en, i.call_list_id,
            o.code, o.name_zh_hans, o.name_en, c.status, c.claimed_on, c.delivered_on,
            c.delivered_on <= coalesce(i.due_on, l.delivery_deadline, c.delivered_on)
        FROM medical_claim c
        JOIN medical_callitem i ON i.id = c.item_id
        JOIN medical_calllist l ON l.id = i.call_list_id
        JOIN reference_organisation o ON o.id = c.organisation_id
        WHERE l.status IN ('published', 'closed')
        ORDER BY c.id
        LIMIT {PAGE_SIZE}
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results = [
            {
                "id": r[1],
                "item": r[2],
                "item_title": bilingual(r[3], r[4]),
                "list": r[5],
                "organisation": r[6],
                "organisation_name": in_language(language, r[7], r[8]),
                "status": r[9],
                "status_label": status.get(r[9], r[9]),
                "claimed_on": day(r[10]),
                "delivered_on": day(r[11]),
                "on_time": r[12],
                # The claimant's own part, for its key and staff only.
                "private": None,
            }
            for r in rows
        ]
        return counted(url, count, results)

    return run


def education_programmes_raw(cursor, url: str) -> Callable[[], bytes]:
    from django.utils import translation

    language = translation.get_language() or ""
    query = f"""
        SELECT count(*) OVER (), s.id, s.code, s.name_zh_hans, s.name_en,
            s.description_zh_hans, s.description_en, g.code, host.code, partner.code,
            s.started_on, investment.id, investment.value, investment.qualifier,
            investment.source_zh_hans, investment.source_en, enrolled.id, enrolled.value,
            enrolled.source_zh_hans, enrolled.source_en
        FROM education_sponsoredprogramme s
        JOIN reference_programme g ON g.id = s.pairing_id
        JOIN reference_organisation host ON host.id = s.host_school_id
        LEFT JOIN reference_organisation partner ON partner.id = s.partner_id
        LEFT JOIN reference_reportedfigure investment ON investment.id = s.investment_id
        LEFT JOIN reference_reportedfigure enrolled ON enrolled.id = s.enrolled_id
        ORDER BY s.started_on, s.code
        LIMIT {PAGE_SIZE}
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        results = [
            {
                "id": r[1],
                "code": r[2],
                "name": bilingual(r[3], r[4]),
                "description": bilingual(r[5], r[6]),
                "pairing": r[7],
                "host_school": r[8],
                "partner": r[9],
                "started_on": day(r[10]),
                "invested": decimal(r[12]),
                "invested_approximate": None if r[11] is None else bool(r[13]),
                "invested_source": None if r[11] is None else in_language(language, r[14], r[15]),
                "enrolled": None if r[16] is None else int(r[17]),
                "enrolled_source": None if r[16] is None else in_language(language, r[18], r[19]),
            }
            for r in rows
        ]
        return counted(url, count, results)

    return run


def education_cohorts_raw(cursor, url: str) -> Callable[[], bytes]:
    from django.utils import translation

    from education.suppression import NOT_REPORTED, REASONS, suppress_cells

    language = translation.get_language() or ""
    reasons = {code: str(text) for code, text in REASONS.items()}
    # A cohort's intake is published beside its programme's total, so whether it is shown
    # depends on every cohort of the programme: each row carries the programme's intakes (in
    # the order the suppression rule reads them) and its own place among them.
    query = f"""
        SELECT count(*) OVER (), c.*
        FROM (
            SELECT c.id, s.code, c.intake_year, c.grade, c.planned_size, c.illustrative_fields,
                c.source_zh_hans, c.source_en, c.note_zh_hans, c.note_en, c.programme_id,
                e.enrolled, c.reported_intake,
                array_agg(CASE WHEN e.enrolled > 0 THEN e.enrolled ELSE c.reported_intake END)
                    OVER programme AS intakes,
                row_number() OVER programme - 1 AS place
            FROM education_cohort c
            JOIN education_sponsoredprogramme s ON s.id = c.programme_id
            CROSS JOIN LATERAL (
                SELECT count(*) AS enrolled FROM education_enrolment e WHERE e.cohort_id = c.id
            ) e
            WINDOW programme AS (
                PARTITION BY c.programme_id ORDER BY c.intake_year
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
            )
        ) c
        ORDER BY c.programme_id, c.intake_year
        LIMIT {PAGE_SIZE}
    """

    def run() -> bytes:
        cursor.execute(query)
        rows = cursor.fetchall()
        count = rows[0][0] if rows else 0
        suppressed: dict[int, list[str | None]] = {}
        results = []
        for r in rows:
            if r[11] not in suppressed:
                suppressed[r[11]] = suppress_cells(
                    [intake or 0 for intake in r[14]], total_published=True
                )[0]
            recorded = r[12] > 0
            intake = r[12] if recorded else r[13]
            reason = suppressed[r[11]][r[15]] or (None if intake is not None else NOT_REPORTED)
            results.append(
                {
                    "id": r[1],
                    "programme": r[2],
                    "intake_year": r[3],
                    "grade": r[4],
                    "planned_size": r[5],
                    "intake": None if reason else intake,
                    "intake_basis": "recorded" if recorded else "reported",
                    "intake_suppressed": {"code": reason, "reason": reasons[reason]}
                    if reason
                    else None,
                    "illustrative_fields": stored_json(r[6]),
                    "source": in_language(language, r[7], r[8]),
                    "note": in_language(language, r[9], r[10]),
                }
            )
        return counted(url, count, results)

    return run


def change_cursor(position: int) -> str:
    # changes.api.views.encode_cursor
    return base64.urlsafe_b64encode(f"p{position}".encode()).decode().rstrip("=")


def changes_raw(cursor, url: str) -> Callable[[], bytes]:
    tz = zoneinfo.ZoneInfo(os.environ.get("TZ_NAME", "Asia/Shanghai"))
    # `?after=` a cursor (the floor's), else from the first event.
    after = filters_of(url).get("after")
    position = int(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4))[1:]) if after else 0
    query = f"""
        SELECT position, type, resource, resource_id, path, at, changed_fields
        FROM changes_event
        WHERE position > %s AND public
        ORDER BY position
        LIMIT {PAGE_SIZE + 1}
    """
    cursor_of = change_cursor

    def run() -> bytes:
        cursor.execute(query, [position])
        rows = cursor.fetchall()
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        results = [
            {
                "cursor": cursor_of(r[0]),
                "type": r[1],
                "resource": r[2],
                "resource_id": r[3],
                "url": f"{HOST}{r[4]}",
                "at": moment(r[5], tz),
                "changed_fields": stored_json(r[6]),
            }
            for r in rows
        ]
        last = cursor_of(rows[-1][0] if rows else position)
        return dump(
            {
                "results": results,
                "next_cursor": last,
                # The query's parameters sorted by name, `after` replaced.
                "next": f"{HOST}/api/v1/changes/?after={last}&page_size={PAGE_SIZE}",
                "has_more": more,
            }
        )

    return run


# The list endpoints with a hand-written baseline, and the page each one is measured on.
ENDPOINTS: list[tuple[str, Callable[[Any, str], Callable[[], bytes]]]] = [
    (f"/api/v1/projects/?page_size={PAGE_SIZE}", projects_raw),
    (f"/api/v1/updates/?page_size={PAGE_SIZE}", updates_raw),
    (f"/api/v1/organisations/?page_size={PAGE_SIZE}", organisations_raw),
    (f"/api/v1/funding/entries/?page_size={PAGE_SIZE}", entries_raw),
    (f"/api/v1/funding/donations/?page_size={PAGE_SIZE}", donations_raw),
    (f"/api/v1/places/?page_size={PAGE_SIZE}", places_raw),
    (f"/api/v1/programmes/?page_size={PAGE_SIZE}", programmes_raw),
    (f"/api/v1/timeline/?page_size={PAGE_SIZE}", timeline_raw),
    (f"/api/v1/medical/lists/?page_size={PAGE_SIZE}", medical_lists_raw),
    (f"/api/v1/medical/items/?page_size={PAGE_SIZE}", medical_items_raw),
    (f"/api/v1/medical/claims/?page_size={PAGE_SIZE}", medical_claims_raw),
    (f"/api/v1/education/programmes/?page_size={PAGE_SIZE}", education_programmes_raw),
    (f"/api/v1/education/cohorts/?page_size={PAGE_SIZE}", education_cohorts_raw),
    (f"/api/v1/changes/?page_size={PAGE_SIZE}", changes_raw),
]


def floor_endpoint(cursor) -> tuple[str, Callable[[Any, str], Callable[[], bytes]]]:
    """A list with no row to answer, for the fixed cost of one request through the same stack
    and one query: the change feed after its last event. It names no filter, as the lists
    measured name none (a filter costs a FilterSet), and counts nothing."""
    cursor.execute("SELECT coalesce(max(position), 0) FROM changes_event")
    last = cursor.fetchone()[0]
    return f"/api/v1/changes/?after={change_cursor(last)}&page_size={PAGE_SIZE}", changes_raw


def same(api: Any, raw: Any) -> bool:
    """The baseline gives the API's rows and values; for the entries (a keyset page) the links
    are left out, as in bench/funding_bench.py. The change feed's links are compared."""
    if "count" not in api and "next_cursor" not in api:
        api = {**api, "next": None, "previous": None}
    return bool(api == raw)


def fixed_costs(runs: int, warmup: int) -> list[tuple[str, float]]:
    """What a request costs before any list: a Django view answering {} without middleware and
    through the site's, then a DRF view doing the same with the API's authentication,
    throttles and renderer. The medians of as many runs as the lists."""
    import types

    from django.http import HttpResponse
    from django.test import Client, override_settings
    from django.urls import path
    from rest_framework.response import Response
    from rest_framework.views import APIView

    def plain(request):
        return HttpResponse(b"{}", content_type="application/json")

    class Empty(APIView):
        def get(self, request):
            return Response({})

    urls = types.ModuleType("api_bench_urls")
    urls.urlpatterns = [path("plain/", plain), path("drf/", Empty.as_view())]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    figures = []
    for label, url, middleware in (
        ("a Django view answering {}, no middleware", "/plain/", []),
        ("the same view through the site's middleware", "/plain/", None),
        (
            "a DRF view answering {} (authentication, throttles, renderer), same middleware",
            "/drf/",
            None,
        ),
    ):
        overrides: dict[str, Any] = {"ROOT_URLCONF": urls.__name__}
        if middleware is not None:
            overrides["MIDDLEWARE"] = middleware
        with override_settings(**overrides):
            # A client of its own: a client's handler keeps the middleware it started with.
            client = Client(HTTP_HOST="localhost")
            median, _ = measure(
                lambda url=url, client=client: client.get(url), runs=runs, warmup=warmup
            )
        figures.append((label, median))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60)
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

    def checked(cursor, url: str, baseline) -> tuple[int, Callable[[], bytes]]:
        """Rows of the API's answer, and its baseline once checked to give the same."""
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        # The labels in the language asked for (a request leaves the site's default active).
        with translation.override(args.language):
            raw = baseline(cursor, url)
        api_body, raw_body = response.json(), json.loads(raw())
        if not same(api_body, raw_body):
            sys.exit(f"The baseline of {url} does not give the API's answer.")
        return len(api_body["results"]), raw

    rows = []
    verdicts = []
    with connection.cursor() as cursor:
        floor_url, floor_baseline = floor_endpoint(cursor)
        floor_count, floor_raw_call = checked(cursor, floor_url, floor_baseline)
        if floor_count:
            sys.exit(f"The floor's list {floor_url} is not empty.")
        floor_samples: list[float] = []
        for url, baseline in ENDPOINTS:
            count, raw = checked(cursor, url, baseline)
            # The list and the floor in turn, run after run: a slower spell of the machine
            # weighs on both alike, and each run's floor is taken from its own list (the median
            # of the differences). The baseline runs on its own, in a tight loop: its best case.
            api_times, floor_times = interleaved(
                [functools.partial(client.get, url), functools.partial(client.get, floor_url)],
                runs=args.runs,
                warmup=args.warmup,
            )
            raw_median, _ = measure(raw, runs=args.runs, warmup=args.warmup)
            floor_samples += floor_times
            api_median = statistics.median(api_times)
            above = statistics.median(a - f for a, f in zip(api_times, floor_times, strict=True))
            verdicts.append(api_median <= 3 * raw_median)
            rows.append((url, count, api_median, raw_median, above))
        empty_api = statistics.median(floor_samples)
        floor_raw, _ = measure(floor_raw_call, runs=args.runs, warmup=args.warmup)
    # The floor is the cheaper of the empty feed and every list measured.
    floor_api = min(empty_api, *(api for _url, _count, api, _raw, _above in rows))

    fixed = fixed_costs(args.runs, args.warmup)

    def cells(
        url: str, count: int, api: float, raw: float, result: str, above: str
    ) -> tuple[str, ...]:
        return (
            url,
            str(count),
            f"{api:7.2f} ms",
            f"{raw:7.2f} ms",
            f"{api / raw:6.2f} ×",
            result,
            above,
        )

    def result(api: float, raw: float) -> str:
        if api <= 3 * raw:
            return "PASS"
        return "FAIL (3 × raw < floor)" if 3 * raw < floor_api else "FAIL"

    def above_floor(extra: float, raw: float) -> str:
        # What the list's own rows cost through the stack, beside what they cost raw.
        return f"{extra:6.2f} ms {'≤' if extra <= 3 * raw else '>'} 3 × raw"

    table = [
        cells(url, count, api, raw, result(api, raw), above_floor(above, raw))
        for url, count, api, raw, above in rows
    ]
    floor = cells(floor_url, floor_count, empty_api, floor_raw, "floor", "")

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
    print(
        "Each list and the floor run in turn (the baseline in a loop of its own); API − floor "
        "is the median of each run's difference from the floor's run beside it."
    )
    header = ("endpoint (page of 50)", "rows", "API", "raw", "ratio", "result", "API − floor")
    widths = [max(len(row[i]) for row in [header, *table, floor]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
    print(line)
    print("-" * len(line))
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print("-" * len(line))
    print(
        "floor, not a target: the same stack answering a list with no row (the change feed after "
        "its last event), beside the same empty query + json.dumps"
    )
    print("  ".join(cell.ljust(w) for cell, w in zip(floor, widths, strict=True)).rstrip())
    print(
        f"The floor is {floor_api:.2f} ms, the cheaper of the empty feed and the cheapest list: a "
        "list "
        "whose 3 × raw is below it (marked '3 × raw < floor') cannot meet the target whatever "
        "its view does."
    )
    within = sum(api <= 3 * raw for _url, _count, api, raw, _above in rows)
    below_floor = sum(
        api > 3 * raw and 3 * raw < floor_api for _url, _count, api, raw, _above in rows
    )
    above_within = sum(above <= 3 * raw for _url, _count, _api, raw, above in rows)
    print(
        f"Lists within 3 × raw: {within} of {len(rows)} ({below_floor} of the others cannot be: "
        f"3 × raw is below the floor). API − floor within 3 × raw: {above_within} of {len(rows)}."
    )
    print("Where the floor goes, with no list, no query and no serializer at all:")
    for label, median in fixed:
        print(f"  {label:<82} {median:6.2f} ms")
    sys.exit(0 if all(verdicts) else 1)


if __name__ == "__main__":
    main()
