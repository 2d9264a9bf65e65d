"""Load the demo data file (demo/hangzhou_seni.yaml): its reference data (`reference.demo`), then
the projects and what hangs off them, and the timeline.

Rows are written by `core.demo`: found by their natural key and saved only when a value differs,
so a second load writes nothing. Bad data raises DemoDataError naming the record, and the whole
load is rolled back.
"""

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation

from core.demo import (
    Counts,
    DemoDataError,
    Record,
    Tally,
    fields,
    read,
    resolve,
    section,
    translated,
)
from projects import lifecycle_demo
from projects.models import (
    Finding,
    Indicator,
    Inspection,
    Milestone,
    Participant,
    ProgressUpdate,
    Project,
    TimelineEvent,
    WorkflowStep,
)
from reference import demo as reference_demo
from reference.models import Organisation, Place, PlanPeriod, Programme

DEFAULT_PATH = Path(settings.BASE_DIR) / "demo" / "hangzhou_seni.yaml"
# Listed in loading order; the summary reports every one of them.
MODELS: tuple[type[models.Model], ...] = (
    *reference_demo.MODELS,
    Project,
    Participant,
    Milestone,
    Indicator,
    ProgressUpdate,
    TimelineEvent,
    WorkflowStep,
    Inspection,
    Finding,
)


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
        **translated(item, "title", label=label),
        **translated(item, "summary", label=label, required=False),
        **translated(item, "description", label=label, required=False),
        "field": item["field"],
        "category": item["category"],
        "plan_period": resolve(periods, str(item["plan_period"]), label=label, what="plan period"),
        "place": resolve(places, item.get("place"), label=label, what="place"),
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
            organisation = resolve(organisations, code, label=where, what="organisation")
            lookup = {"project": project, "organisation": organisation, "role": role}
            tally.write(Participant, lookup=lookup, values={}, label=where)


def _load_milestones(items: list[Record], *, project: Project, label: str, tally: Tally) -> None:
    """A standard milestone is keyed by kind; a custom one by its Chinese title."""
    for item in items:
        where = f"{label} milestone {item.get('kind')!r}" if isinstance(item, dict) else label
        fields(
            item,
            label=where,
            required={"kind"},
            optional={"title", "planned_date", "actual_date", "date_precision", "illustrative"},
        )
        values = {
            **translated(item, "title", label=where, required=item["kind"] == "custom"),
            "planned_date": item.get("planned_date"),
            "actual_date": item.get("actual_date"),
            "date_precision": item.get("date_precision", "day"),
            "illustrative": item.get("illustrative", False),
        }
        lookup = {"project": project, "kind": item["kind"]}
        if item["kind"] == "custom":
            lookup["title_zh_hans"] = values.pop("title_zh_hans")
        tally.write(Milestone, lookup=lookup, values=values, label=where)


def _load_indicators(items: list[Record], *, project: Project, label: str, tally: Tally) -> None:
    for order, item in enumerate(items, start=1):
        where = f"{label} indicator #{order}"
        fields(
            item,
            label=where,
            required={"name", "unit", "target"},
            optional={"baseline", "actual", "illustrative"},
        )
        values = {
            **translated(item, "name", label=where),
            **translated(item, "unit", label=where),
            "baseline": item.get("baseline", Decimal("0")),
            "target": item["target"],
            "actual": item.get("actual"),
            "illustrative": item.get("illustrative", False),
            "order": order,
        }
        lookup = {"project": project, "name_zh_hans": values.pop("name_zh_hans")}
        tally.write(Indicator, lookup=lookup, values=values, label=where)


def _load_updates(items: list[Record], *, project: Project, label: str, tally: Tally) -> None:
    for index, item in enumerate(items, start=1):
        where = f"{label} update #{index}"
        fields(
            item,
            label=where,
            required={"date", "title"},
            optional={"text", "published", "illustrative"},
        )
        values = {
            **translated(item, "title", label=where),
            **translated(item, "text", label=where, required=False),
            "published": item.get("published", True),
            "illustrative": item.get("illustrative", False),
        }
        lookup = {
            "project": project,
            "date": item["date"],
            "title_zh_hans": values.pop("title_zh_hans"),
        }
        tally.write(ProgressUpdate, lookup=lookup, values=values, label=where)


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
        fields(item, label=label, required=PROJECT_REQUIRED, optional=PROJECT_OPTIONAL)
        if item["code"] in loaded:
            raise DemoDataError(f"{label}: listed twice.")
        values = _project_values(
            item, label=label, programme=programme, periods=periods, places=places
        )
        project = tally.write(Project, lookup={"code": item["code"]}, values=values, label=label)
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
        fields(
            item,
            label=label,
            required={"date", "title"},
            optional={"date_precision", "text", "project", "published", "illustrative"},
        )
        values = {
            **translated(item, "title", label=label),
            **translated(item, "text", label=label, required=False),
            "date_precision": item.get("date_precision", "day"),
            "project": resolve(projects, item.get("project"), label=label, what="project"),
            "published": item.get("published", True),
            "illustrative": item.get("illustrative", False),
        }
        lookup = {
            "programme": programme,
            "date": item["date"],
            "title_zh_hans": values.pop("title_zh_hans"),
        }
        tally.write(TimelineEvent, lookup=lookup, values=values, label=label)


def _noon(date: datetime.date | None) -> datetime.datetime | None:
    if date is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time(12)))


def _load_inspections(items: list[Record], *, projects: dict[str, Project], tally: Tally) -> None:
    """Inspections and their findings, all illustrative: no source reports one. A finding's
    rectification and closure carry dates but no staff account."""
    for index, item in enumerate(items, start=1):
        label = f"inspection #{index}"
        fields(item, label=label, required={"project", "date", "team", "findings"}, optional=set())
        lookup = {
            "project": resolve(projects, item["project"], label=label, what="project"),
            "date": item["date"],
            "team": item["team"],
        }
        inspection = tally.write(
            Inspection, lookup=lookup, values={"illustrative": True}, label=label
        )
        for number, finding in enumerate(item["findings"] or [], start=1):
            where = f"{label} finding #{number}"
            fields(
                finding,
                label=where,
                required={"text", "severity", "deadline"},
                optional={"published", "rectification", "rectified_on", "closed_on"},
            )
            values = {
                "severity": finding["severity"],
                "deadline": finding["deadline"],
                "published": finding.get("published", False),
                "rectification": finding.get("rectification", ""),
                "rectified_at": _noon(finding.get("rectified_on")),
                "closed_at": _noon(finding.get("closed_on")),
            }
            lookup = {"inspection": inspection, "text": finding["text"]}
            tally.write(Finding, lookup=lookup, values=values, label=where)


@transaction.atomic
def load_demo(path: Path | None = None) -> Counts:
    """Load the demo file; return created/updated/unchanged counts per model.

    All or nothing: any bad record raises DemoDataError and the transaction rolls back.
    """
    document = read(Path(path) if path else DEFAULT_PATH)
    tally = Tally(model.__name__ for model in MODELS)
    # The untranslated column holds the default language, whatever language is active.
    with translation.override(settings.MODELTRANSLATION_DEFAULT_LANGUAGE):
        reference = reference_demo.load_reference(document, tally=tally)
        project_items = section(document, "projects")
        projects = _load_projects(
            project_items,
            programme=reference.programme,
            periods=reference.periods,
            places=reference.places,
            organisations=reference.organisations,
            tally=tally,
        )
        _check_plan_totals(periods=section(document, "plan_periods"), projects=project_items)
        _load_timeline(
            section(document, "timeline"),
            programme=reference.programme,
            projects=projects,
            tally=tally,
        )
        lifecycle_demo.take_through(projects, tally)
        _load_inspections(section(document, "inspections"), projects=projects, tally=tally)
    return tally.as_dict()
