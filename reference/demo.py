"""Load the reference data of a demo file (demo/hangzhou_seni.yaml): organisations, places, the
programme, its plan periods, aid-team batches, reported figures and exchange visits.

`projects.demo` calls `load_reference` first, in the same transaction: the file's projects refer
to these records by the file's own keys (a place's `ref`, an organisation's code).
"""

from dataclasses import dataclass
from typing import Any

from django.db import models

from core.demo import Record, Tally, choice, fields, resolve, section, translated
from reference.models import (
    AidTeamBatch,
    ExchangeVisit,
    Organisation,
    Place,
    PlanPeriod,
    Programme,
    ReportedFigure,
)

# Listed in loading order; the summary reports every one of them.
MODELS: tuple[type[models.Model], ...] = (
    Organisation,
    Place,
    Programme,
    PlanPeriod,
    AidTeamBatch,
    ReportedFigure,
    ExchangeVisit,
)


@dataclass(frozen=True)
class Loaded:
    """The reference records the rest of the file refers to, by the file's keys."""

    organisations: dict[str, Organisation]
    places: dict[str, Place]
    programme: Programme
    periods: dict[str, PlanPeriod]


def load_reference(document: Record, *, tally: Tally) -> Loaded:
    """Load the file's reference sections, parents before children; count each row in `tally`."""
    organisations = _load_organisations(section(document, "organisations"), tally=tally)
    places = _load_places(section(document, "places"), tally=tally)
    programme = _load_programme(
        document.get("programme"), organisations=organisations, places=places, tally=tally
    )
    periods = _load_plan_periods(
        section(document, "plan_periods"), programme=programme, tally=tally
    )
    _load_batches(section(document, "batches"), programme=programme, tally=tally)
    _load_figures(
        section(document, "reported_figures"),
        source=document.get("figure_source") or {},
        programme=programme,
        tally=tally,
    )
    _load_exchanges(section(document, "exchanges"), programme=programme, tally=tally)
    return Loaded(organisations=organisations, places=places, programme=programme, periods=periods)


def _load_organisations(items: list[Record], *, tally: Tally) -> dict[str, Organisation]:
    """Organisations by code. A parent must be listed before its children."""
    loaded: dict[str, Organisation] = {}
    for item in items:
        label = f"organisation {item.get('code')!r}" if isinstance(item, dict) else "organisation"
        fields(
            item,
            label=label,
            required={"code", "name", "type"},
            optional={"short_name", "parent", "website"},
        )
        values = {
            **translated(item, "name", label=label),
            **translated(item, "short_name", label=label, required=False),
            "type": item["type"],
            "parent": resolve(loaded, item.get("parent"), label=label, what="parent organisation"),
            "website": item.get("website", ""),
        }
        loaded[item["code"]] = tally.write(
            Organisation, lookup={"code": item["code"]}, values=values, label=label
        )
    return loaded


def _load_places(items: list[Record], *, tally: Tally) -> dict[str, Place]:
    """Places by the file's `ref`; in the database by admin code, else by (parent, Chinese name).

    A parent must be listed before its children."""
    loaded: dict[str, Place] = {}
    for item in items:
        label = f"place {item.get('ref')!r}" if isinstance(item, dict) else "place"
        fields(
            item,
            label=label,
            required={"ref", "name", "level"},
            optional={"parent", "admin_code", "latitude", "longitude"},
        )
        values = {
            **translated(item, "name", label=label),
            "level": item["level"],
            "parent": resolve(loaded, item.get("parent"), label=label, what="parent place"),
            "admin_code": str(item.get("admin_code") or ""),
            "latitude": item.get("latitude"),
            "longitude": item.get("longitude"),
        }
        if values["admin_code"]:
            lookup = {"admin_code": values.pop("admin_code")}
        else:
            lookup = {"parent": values.pop("parent"), "name_zh_hans": values.pop("name_zh_hans")}
        loaded[item["ref"]] = tally.write(Place, lookup=lookup, values=values, label=label)
    return loaded


def _load_programme(
    item: Any, *, organisations: dict[str, Organisation], places: dict[str, Place], tally: Tally
) -> Programme:
    label = f"programme {item.get('code')!r}" if isinstance(item, dict) else "programme"
    fields(
        item,
        label=label,
        required={"code", "name", "donor", "partner"},
        optional={"description", "partner_place", "started_on", "started_precision"},
    )
    values = {
        **translated(item, "name", label=label),
        **translated(item, "description", label=label, required=False),
        "donor": resolve(organisations, item["donor"], label=label, what="organisation"),
        "partner": resolve(organisations, item["partner"], label=label, what="organisation"),
        "partner_place": resolve(places, item.get("partner_place"), label=label, what="place"),
        "started_on": item.get("started_on"),
        "started_precision": item.get("started_precision", "day"),
    }
    return tally.write(Programme, lookup={"code": item["code"]}, values=values, label=label)


def _load_plan_periods(
    items: list[Record], *, programme: Programme, tally: Tally
) -> dict[str, PlanPeriod]:
    loaded: dict[str, PlanPeriod] = {}
    for item in items:
        label = f"plan period {item.get('code')!r}" if isinstance(item, dict) else "plan period"
        fields(
            item,
            label=label,
            required={"code", "name", "start_year", "end_year"},
            optional={"expected_projects", "expected_planned_investment"},
        )
        values = {
            **translated(item, "name", label=label),
            "start_year": item["start_year"],
            "end_year": item["end_year"],
        }
        lookup = {"programme": programme, "code": str(item["code"])}
        loaded[str(item["code"])] = tally.write(
            PlanPeriod, lookup=lookup, values=values, label=label
        )
    return loaded


def _load_batches(items: list[Record], *, programme: Programme, tally: Tally) -> None:
    counts = ("cadres", "medical", "teachers", "lawyers", "others")
    for item in items:
        label = f"batch {item.get('number')!r}" if isinstance(item, dict) else "batch"
        fields(
            item,
            label=label,
            required={"number", "arrived_on"},
            optional={"arrived_precision", "leaves_on", "note", *counts},
        )
        values = {
            "arrived_on": item["arrived_on"],
            "arrived_precision": item.get("arrived_precision", "day"),
            "leaves_on": item.get("leaves_on"),
            "note": str(item.get("note") or ""),
            **{name: item.get(name, 0) for name in counts},
        }
        lookup = {"programme": programme, "number": item["number"]}
        tally.write(AidTeamBatch, lookup=lookup, values=values, label=label)


def _load_figures(
    items: list[Record], *, source: Record, programme: Programme, tally: Tally
) -> None:
    """Reported figures; `as_of` and `source` come from the shared `figure_source` unless given."""
    for item in items:
        label = f"reported figure {item.get('code')!r}" if isinstance(item, dict) else "figure"
        fields(
            item,
            label=label,
            required={"code", "label", "value"},
            optional={"unit", "qualifier", "as_of", "source", "order"},
        )
        values = {
            **translated(item, "label", label=label),
            **translated(item, "unit", label=label, required=False),
            "value": item["value"],
            # Nearly (近), over (余) or about (约); none when exact.
            "qualifier": choice(
                item, "qualifier", choices=ReportedFigure.Qualifier.values, label=label
            ),
            "as_of": item.get("as_of", source.get("as_of")),
            **translated(item if "source" in item else source, "source", label=label),
            "order": item.get("order", 0),
        }
        lookup = {"programme": programme, "code": item["code"]}
        tally.write(ReportedFigure, lookup=lookup, values=values, label=label)


def _load_exchanges(items: list[Record], *, programme: Programme, tally: Tally) -> None:
    for index, item in enumerate(items, start=1):
        label = f"exchange #{index}"
        if isinstance(item, dict):
            label += f" ({item.get('direction')})"
        fields(
            item,
            label=label,
            required={"direction", "title", "started_on", "ended_on", "groups", "person_times"},
            optional={"approximate", "illustrative"},
        )
        values = {
            **translated(item, "title", label=label),
            "ended_on": item["ended_on"],
            "approximate": item.get("approximate", False),
            "groups": item["groups"],
            "person_times": item["person_times"],
            "illustrative": item.get("illustrative", False),
        }
        lookup = {
            "programme": programme,
            "direction": item["direction"],
            "started_on": item["started_on"],
        }
        tally.write(ExchangeVisit, lookup=lookup, values=values, label=label)
