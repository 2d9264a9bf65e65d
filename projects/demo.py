"""Load the demo data file (demo/hangzhou_seni.yaml) into the reference and projects apps.

Every record is found by its natural key and saved only when one of its values differs, so a
second load writes nothing at all: no row, no history row. Bad data raises DemoDataError naming
the record, and the whole load is rolled back.
"""

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import translation

from projects.models import (
    Indicator,
    Milestone,
    Participant,
    ProgressUpdate,
    Project,
    TimelineEvent,
)
from reference.models import (
    AidTeamBatch,
    ExchangeVisit,
    Organisation,
    Place,
    PlanPeriod,
    Programme,
    ReportedFigure,
)

DEFAULT_PATH = Path(settings.BASE_DIR) / "demo" / "hangzhou_seni.yaml"
LANGUAGES = ("zh_hans", "en")
CHANGE_REASON = "demo data"

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
# Listed in loading order; the summary reports every one of them.
MODELS: tuple[type[models.Model], ...] = (
    Organisation,
    Place,
    Programme,
    PlanPeriod,
    AidTeamBatch,
    ReportedFigure,
    ExchangeVisit,
    Project,
    Participant,
    Milestone,
    Indicator,
    ProgressUpdate,
    TimelineEvent,
)

Record = dict[str, Any]
M = TypeVar("M", bound=models.Model)
Counts = dict[str, dict[str, int]]


class DemoDataError(Exception):
    """The demo data file is wrong; the message names the record at fault."""


class Tally:
    """How many rows of each model were created, updated or left unchanged."""

    def __init__(self) -> None:
        self._counts: dict[str, Counter[str]] = {model.__name__: Counter() for model in MODELS}

    def add(self, *, model: type[models.Model], outcome: str) -> None:
        self._counts[model.__name__][outcome] += 1

    def as_dict(self) -> Counts:
        return {
            name: {outcome: counter[outcome] for outcome in (CREATED, UPDATED, UNCHANGED)}
            for name, counter in self._counts.items()
        }


# ---------------------------------------------------------------------------------------------
# Writing one record


def _normalise(*, model: type[models.Model], data: Record, label: str) -> Record:
    """Convert plain values to the field's Python type, so that comparisons with rows are exact."""
    normalised = {}
    for name, value in data.items():
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field) or field.is_relation or value is None:
            normalised[name] = value
            continue
        try:
            normalised[name] = field.to_python(value)
        except ValidationError as exc:
            raise DemoDataError(f"{label}: {name}: {'; '.join(exc.messages)}") from exc
    return normalised


def _current(obj: models.Model, name: str) -> Any:
    field = obj._meta.get_field(name)
    assert isinstance(field, models.Field), "the demo names a model's own fields only"
    return getattr(obj, field.attname)


def _wanted(obj: models.Model, name: str, value: Any) -> Any:
    field = obj._meta.get_field(name)
    return value.pk if field.is_relation and value is not None else value


def _validate(obj: models.Model, *, label: str) -> None:
    """Run the model's own validation (fields, clean(), constraints) before anything is saved."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        details = (
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            if hasattr(exc, "error_dict")
            else "; ".join(exc.messages)
        )
        raise DemoDataError(f"{label}: {details}") from exc


def upsert(model: type[M], *, lookup: Record, values: Record, label: str) -> tuple[M, str]:
    """Create the row found by `lookup`, or update it only where a value in `values` differs.

    An unchanged row is never saved, so it gets no history row and no new `updated_at`.
    New and changed rows pass full_clean() first.
    """
    lookup = _normalise(model=model, data=lookup, label=label)
    values = _normalise(model=model, data=values, label=label)
    matches = list(model._default_manager.filter(**lookup)[:2])
    if len(matches) > 1:
        raise DemoDataError(f"{label}: more than one {model.__name__} matches {lookup}.")
    if matches:
        obj = matches[0]
        changed = [n for n, v in values.items() if _current(obj, n) != _wanted(obj, n, v)]
        if not changed:
            return obj, UNCHANGED
        for name in changed:
            setattr(obj, name, values[name])
        outcome = UPDATED
    else:
        obj = model(**lookup, **values)
        outcome = CREATED
    _validate(obj, label=label)
    obj._change_reason = CHANGE_REASON  # type: ignore[attr-defined]  # read by simple-history
    obj.save()
    return obj, outcome


def _write(model: type[M], *, lookup: Record, values: Record, label: str, tally: Tally) -> M:
    obj, outcome = upsert(model, lookup=lookup, values=values, label=label)
    tally.add(model=model, outcome=outcome)
    return obj


# ---------------------------------------------------------------------------------------------
# Reading the file


def _read(path: Path) -> Record:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DemoDataError(f"{path}: {exc}") from exc
    if not isinstance(document, dict):
        raise DemoDataError(f"{path}: expected a mapping of sections at the top level.")
    return document


def _fields(record: Any, *, label: str, required: set[str], optional: set[str]) -> Record:
    """Refuse a record that lacks a required key or has one nobody reads (a typo, usually)."""
    if not isinstance(record, dict):
        raise DemoDataError(f"{label}: expected a mapping, got {record!r}.")
    missing = required - record.keys()
    unknown = record.keys() - required - optional
    if missing:
        raise DemoDataError(f"{label}: missing {', '.join(sorted(missing))}.")
    if unknown:
        raise DemoDataError(f"{label}: unknown keys {', '.join(sorted(unknown))}.")
    return record


def _section(document: Record, name: str) -> list[Record]:
    items = document.get(name) or []
    if not isinstance(items, list):
        raise DemoDataError(f"{name}: expected a list.")
    return items


def _translated(record: Record, name: str, *, label: str, required: bool = True) -> Record:
    """`name: {zh_hans: ..., en: ...}` becomes the two modeltranslation columns."""
    text = record.get(name)
    if text is None and not required:
        text = {}
    if not isinstance(text, dict) or text.keys() - set(LANGUAGES):
        raise DemoDataError(f"{label}: {name} must be a mapping of {' and '.join(LANGUAGES)}.")
    columns = {f"{name}_{lang}": str(text.get(lang) or "").strip() for lang in LANGUAGES}
    if required and not all(columns.values()):
        raise DemoDataError(f"{label}: {name} needs both {' and '.join(LANGUAGES)}.")
    return columns


def _qualifier(record: Record, *, label: str) -> str:
    """A reported figure's qualifier: nearly (近), over (余) or about (约); none when exact."""
    value = str(record.get("qualifier") or "")
    if value not in ReportedFigure.Qualifier.values:
        choices = ", ".join(v for v in ReportedFigure.Qualifier.values if v)
        raise DemoDataError(f"{label}: qualifier {value!r} is not one of {choices}.")
    return value


def _resolve(known: dict[str, Any], key: Any, *, label: str, what: str) -> Any:
    """Look a reference up among the records already loaded; None stays None."""
    if key is None:
        return None
    if key not in known:
        raise DemoDataError(f"{label}: unknown {what} {key!r}.")
    return known[key]


# ---------------------------------------------------------------------------------------------
# Reference data


def _load_organisations(items: list[Record], *, tally: Tally) -> dict[str, Organisation]:
    """Organisations by code. A parent must be listed before its children."""
    loaded: dict[str, Organisation] = {}
    for item in items:
        label = f"organisation {item.get('code')!r}" if isinstance(item, dict) else "organisation"
        _fields(
            item,
            label=label,
            required={"code", "name", "type"},
            optional={"short_name", "parent", "website"},
        )
        values = {
            **_translated(item, "name", label=label),
            **_translated(item, "short_name", label=label, required=False),
            "type": item["type"],
            "parent": _resolve(loaded, item.get("parent"), label=label, what="parent organisation"),
            "website": item.get("website", ""),
        }
        loaded[item["code"]] = _write(
            Organisation, lookup={"code": item["code"]}, values=values, label=label, tally=tally
        )
    return loaded


def _load_places(items: list[Record], *, tally: Tally) -> dict[str, Place]:
    """Places by the file's `ref`; in the database by admin code, else by (parent, Chinese name).

    A parent must be listed before its children."""
    loaded: dict[str, Place] = {}
    for item in items:
        label = f"place {item.get('ref')!r}" if isinstance(item, dict) else "place"
        _fields(
            item,
            label=label,
            required={"ref", "name", "level"},
            optional={"parent", "admin_code", "latitude", "longitude"},
        )
        values = {
            **_translated(item, "name", label=label),
            "level": item["level"],
            "parent": _resolve(loaded, item.get("parent"), label=label, what="parent place"),
            "admin_code": str(item.get("admin_code") or ""),
            "latitude": item.get("latitude"),
            "longitude": item.get("longitude"),
        }
        if values["admin_code"]:
            lookup = {"admin_code": values.pop("admin_code")}
        else:
            lookup = {"parent": values.pop("parent"), "name_zh_hans": values.pop("name_zh_hans")}
        loaded[item["ref"]] = _write(Place, lookup=lookup, values=values, label=label, tally=tally)
    return loaded


def _load_programme(
    item: Any, *, organisations: dict[str, Organisation], places: dict[str, Place], tally: Tally
) -> Programme:
    label = f"programme {item.get('code')!r}" if isinstance(item, dict) else "programme"
    _fields(
        item,
        label=label,
        required={"code", "name", "donor", "partner"},
        optional={"description", "partner_place", "started_on", "started_precision"},
    )
    values = {
        **_translated(item, "name", label=label),
        **_translated(item, "description", label=label, required=False),
        "donor": _resolve(organisations, item["donor"], label=label, what="organisation"),
        "partner": _resolve(organisations, item["partner"], label=label, what="organisation"),
        "partner_place": _resolve(places, item.get("partner_place"), label=label, what="place"),
        "started_on": item.get("started_on"),
        "started_precision": item.get("started_precision", "day"),
    }
    return _write(Programme, lookup={"code": item["code"]}, values=values, label=label, tally=tally)


def _load_plan_periods(
    items: list[Record], *, programme: Programme, tally: Tally
) -> dict[str, PlanPeriod]:
    loaded: dict[str, PlanPeriod] = {}
    for item in items:
        label = f"plan period {item.get('code')!r}" if isinstance(item, dict) else "plan period"
        _fields(
            item,
            label=label,
            required={"code", "name", "start_year", "end_year"},
            optional={"expected_projects", "expected_planned_investment"},
        )
        values = {
            **_translated(item, "name", label=label),
            "start_year": item["start_year"],
            "end_year": item["end_year"],
        }
        lookup = {"programme": programme, "code": str(item["code"])}
        loaded[str(item["code"])] = _write(
            PlanPeriod, lookup=lookup, values=values, label=label, tally=tally
        )
    return loaded


def _load_batches(items: list[Record], *, programme: Programme, tally: Tally) -> None:
    counts = ("cadres", "medical", "teachers", "lawyers", "others")
    for item in items:
        label = f"batch {item.get('number')!r}" if isinstance(item, dict) else "batch"
        _fields(
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
        _write(AidTeamBatch, lookup=lookup, values=values, label=label, tally=tally)


def _load_figures(
    items: list[Record], *, source: Record, programme: Programme, tally: Tally
) -> None:
    """Reported figures; `as_of` and `source` come from the shared `figure_source` unless given."""
    for item in items:
        label = f"reported figure {item.get('code')!r}" if isinstance(item, dict) else "figure"
        _fields(
            item,
            label=label,
            required={"code", "label", "value"},
            optional={"unit", "qualifier", "as_of", "source", "order"},
        )
        values = {
            **_translated(item, "label", label=label),
            **_translated(item, "unit", label=label, required=False),
            "value": item["value"],
            "qualifier": _qualifier(item, label=label),
            "as_of": item.get("as_of", source.get("as_of")),
            **_translated(item if "source" in item else source, "source", label=label),
            "order": item.get("order", 0),
        }
        lookup = {"programme": programme, "code": item["code"]}
        _write(ReportedFigure, lookup=lookup, values=values, label=label, tally=tally)


def _load_exchanges(items: list[Record], *, programme: Programme, tally: Tally) -> None:
    for index, item in enumerate(items, start=1):
        label = f"exchange #{index}"
        if isinstance(item, dict):
            label += f" ({item.get('direction')})"
        _fields(
            item,
            label=label,
            required={"direction", "title", "started_on", "ended_on", "groups", "person_times"},
            optional={"approximate", "illustrative"},
        )
        values = {
            **_translated(item, "title", label=label),
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
        _write(ExchangeVisit, lookup=lookup, values=values, label=label, tally=tally)


# ---------------------------------------------------------------------------------------------
# Projects and what hangs off them

PROJECT_REQUIRED = {
    "code",
    "title",
    "field",
    "category",
    "plan_period",
    "status",
    "planned_investment",
}
PROJECT_OPTIONAL = {
    "summary",
    "description",
    "place",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "flagship",
    "beneficiaries",
    "beneficiary_unit",
    "published",
    "illustrative_fields",
    "participants",
    "milestones",
    "indicators",
    "updates",
}


def _project_values(
    item: Record,
    *,
    label: str,
    programme: Programme,
    periods: dict[str, PlanPeriod],
    places: dict[str, Place],
) -> Record:
    return {
        "programme": programme,
        **_translated(item, "title", label=label),
        **_translated(item, "summary", label=label, required=False),
        **_translated(item, "description", label=label, required=False),
        "field": item["field"],
        "category": item["category"],
        "plan_period": _resolve(periods, str(item["plan_period"]), label=label, what="plan period"),
        "place": _resolve(places, item.get("place"), label=label, what="place"),
        "status": item["status"],
        "planned_start": item.get("planned_start"),
        "planned_end": item.get("planned_end"),
        "actual_start": item.get("actual_start"),
        "actual_end": item.get("actual_end"),
        "planned_investment": item["planned_investment"],
        "flagship": item.get("flagship", False),
        "beneficiaries": item.get("beneficiaries"),
        "beneficiary_unit": item.get("beneficiary_unit", ""),
        "published": item.get("published", True),
        "illustrative_fields": item.get("illustrative_fields", []),
    }


def _load_participants(
    roles: Any,
    *,
    project: Project,
    organisations: dict[str, Organisation],
    label: str,
    tally: Tally,
) -> None:
    """`participants: {role: [organisation codes]}`; roles are IATI's (funding, ...)."""
    if not isinstance(roles, dict):
        raise DemoDataError(f"{label}: participants must map a role to organisation codes.")
    for role, codes in roles.items():
        for code in codes or []:
            where = f"{label} participant {code!r} ({role})"
            organisation = _resolve(organisations, code, label=where, what="organisation")
            lookup = {"project": project, "organisation": organisation, "role": role}
            _write(Participant, lookup=lookup, values={}, label=where, tally=tally)


def _load_milestones(items: list[Record], *, project: Project, label: str, tally: Tally) -> None:
    """A standard milestone is keyed by kind; a custom one by its Chinese title."""
    for item in items:
        where = f"{label} milestone {item.get('kind')!r}" if isinstance(item, dict) else label
        _fields(
            item,
            label=where,
            required={"kind"},
            optional={"title", "planned_date", "actual_date", "date_precision", "illustrative"},
        )
        values = {
            **_translated(item, "title", label=where, required=item["kind"] == "custom"),
            "planned_date": item.get("planned_date"),
            "actual_date": item.get("actual_date"),
            "date_precision": item.get("date_precision", "day"),
            "illustrative": item.get("illustrative", False),
        }
        lookup = {"project": project, "kind": item["kind"]}
        if item["kind"] == "custom":
            lookup["title_zh_hans"] = values.pop("title_zh_hans")
        _write(Milestone, lookup=lookup, values=values, label=where, tally=tally)


def _load_indicators(items: list[Record], *, project: Project, label: str, tally: Tally) -> None:
    for order, item in enumerate(items, start=1):
        where = f"{label} indicator #{order}"
        _fields(
            item,
            label=where,
            required={"name", "unit", "target"},
            optional={"baseline", "actual", "illustrative"},
        )
        values = {
            **_translated(item, "name", label=where),
            **_translated(item, "unit", label=where),
            "baseline": item.get("baseline", Decimal("0")),
            "target": item["target"],
            "actual": item.get("actual"),
            "illustrative": item.get("illustrative", False),
            "order": order,
        }
        lookup = {"project": project, "name_zh_hans": values.pop("name_zh_hans")}
        _write(Indicator, lookup=lookup, values=values, label=where, tally=tally)


def _load_updates(items: list[Record], *, project: Project, label: str, tally: Tally) -> None:
    for index, item in enumerate(items, start=1):
        where = f"{label} update #{index}"
        _fields(
            item,
            label=where,
            required={"date", "title"},
            optional={"text", "published", "illustrative"},
        )
        values = {
            **_translated(item, "title", label=where),
            **_translated(item, "text", label=where, required=False),
            "published": item.get("published", True),
            "illustrative": item.get("illustrative", False),
        }
        lookup = {
            "project": project,
            "date": item["date"],
            "title_zh_hans": values.pop("title_zh_hans"),
        }
        _write(ProgressUpdate, lookup=lookup, values=values, label=where, tally=tally)


def _load_projects(
    items: list[Record],
    *,
    programme: Programme,
    periods: dict[str, PlanPeriod],
    places: dict[str, Place],
    organisations: dict[str, Organisation],
    tally: Tally,
) -> dict[str, Project]:
    loaded: dict[str, Project] = {}
    for item in items:
        label = f"project {item.get('code')!r}" if isinstance(item, dict) else "project"
        _fields(item, label=label, required=PROJECT_REQUIRED, optional=PROJECT_OPTIONAL)
        if item["code"] in loaded:
            raise DemoDataError(f"{label}: listed twice.")
        values = _project_values(
            item, label=label, programme=programme, periods=periods, places=places
        )
        project = _write(
            Project, lookup={"code": item["code"]}, values=values, label=label, tally=tally
        )
        _load_participants(
            item.get("participants") or {},
            project=project,
            organisations=organisations,
            label=label,
            tally=tally,
        )
        _load_milestones(item.get("milestones") or [], project=project, label=label, tally=tally)
        _load_indicators(item.get("indicators") or [], project=project, label=label, tally=tally)
        _load_updates(item.get("updates") or [], project=project, label=label, tally=tally)
        loaded[item["code"]] = project
    return loaded


def _check_plan_totals(*, periods: list[Record], projects: list[Record]) -> None:
    """The projects of a plan period must add up to the count and total the source states."""
    for period in periods:
        code = str(period["code"])
        mine = [p for p in projects if str(p["plan_period"]) == code]
        total = sum((Decimal(str(p["planned_investment"])) for p in mine), Decimal("0"))
        expected_count = period.get("expected_projects")
        expected_total = period.get("expected_planned_investment")
        if expected_count is not None and len(mine) != expected_count:
            raise DemoDataError(
                f"plan period {code!r}: {len(mine)} projects, the file expects {expected_count}."
            )
        if expected_total is not None and total != Decimal(str(expected_total)):
            raise DemoDataError(
                f"plan period {code!r}: planned investment adds up to {total}, "
                f"the file expects {expected_total}."
            )


def _load_timeline(
    items: list[Record], *, programme: Programme, projects: dict[str, Project], tally: Tally
) -> None:
    for index, item in enumerate(items, start=1):
        label = f"timeline event #{index}"
        if isinstance(item, dict) and isinstance(item.get("title"), dict):
            label += f" {item.get('date')} {item['title'].get('zh_hans')!r}"
        _fields(
            item,
            label=label,
            required={"date", "title"},
            optional={"date_precision", "text", "project", "published", "illustrative"},
        )
        values = {
            **_translated(item, "title", label=label),
            **_translated(item, "text", label=label, required=False),
            "date_precision": item.get("date_precision", "day"),
            "project": _resolve(projects, item.get("project"), label=label, what="project"),
            "published": item.get("published", True),
            "illustrative": item.get("illustrative", False),
        }
        lookup = {
            "programme": programme,
            "date": item["date"],
            "title_zh_hans": values.pop("title_zh_hans"),
        }
        _write(TimelineEvent, lookup=lookup, values=values, label=label, tally=tally)


# ---------------------------------------------------------------------------------------------


@transaction.atomic
def load_demo(path: Path | None = None) -> Counts:
    """Load the demo file; return created/updated/unchanged counts per model.

    All or nothing: any bad record raises DemoDataError and the transaction rolls back.
    """
    document = _read(Path(path) if path else DEFAULT_PATH)
    tally = Tally()
    # The untranslated column holds the default language, whatever language is active.
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        organisations = _load_organisations(_section(document, "organisations"), tally=tally)
        places = _load_places(_section(document, "places"), tally=tally)
        programme = _load_programme(
            document.get("programme"), organisations=organisations, places=places, tally=tally
        )
        period_items = _section(document, "plan_periods")
        periods = _load_plan_periods(period_items, programme=programme, tally=tally)
        _load_batches(_section(document, "batches"), programme=programme, tally=tally)
        _load_figures(
            _section(document, "reported_figures"),
            source=document.get("figure_source") or {},
            programme=programme,
            tally=tally,
        )
        _load_exchanges(_section(document, "exchanges"), programme=programme, tally=tally)
        project_items = _section(document, "projects")
        projects = _load_projects(
            project_items,
            programme=programme,
            periods=periods,
            places=places,
            organisations=organisations,
            tally=tally,
        )
        _check_plan_totals(periods=period_items, projects=project_items)
        _load_timeline(
            _section(document, "timeline"), programme=programme, projects=projects, tally=tally
        )
    return tally.as_dict()
