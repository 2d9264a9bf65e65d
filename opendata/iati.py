"""IATI 2.03 XML for the published projects and the reporting organisation.

Every code used, and why, is in opendata/IATI.md. The files are built from the records only
(no clock), so the same data gives the same bytes.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from lxml import etree

from funding.models import BudgetLine, LedgerEntry
from projects.models import Participant, Project
from reference.models import Organisation, Place

VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Our languages as IATI's Language codelist names them.
LANGUAGES = (("zh-hans", "zh"), ("en", "en"))
COUNTRY = "CN"
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"

ACTIVITY_STATUS = {status: str(code) for code, status in enumerate(Project.Status.values, 1)}
ORGANISATION_ROLE: dict[str, str] = {
    Participant.Role.FUNDING: "1",
    Participant.Role.ACCOUNTABLE: "2",
    Participant.Role.IMPLEMENTING: "4",
}
FUNDING_ROLE = ORGANISATION_ROLE[Participant.Role.FUNDING]
BUDGET_TYPE: dict[str, str] = {BudgetLine.Kind.ORIGINAL: "1", BudgetLine.Kind.REVISED: "2"}
BUDGET_COMMITTED = "2"
RESULT_OUTPUT = "1"
MEASURE_UNIT = "1"
LOCATION_REACH_ACTIVITY = "1"
EXACTNESS_APPROXIMATE = "2"
# Location class and feature designation (LocationType) by the level of our place.
LOCATION_CLASS = {"district": "1", "township": "1", "village": "2"}
FEATURE = {"district": "ADM3", "township": "ADM4", "village": "PPL"}
# ActivityScope: a village is a single location; a district or township lies within one
# second-level area (a prefecture such as Nagqu).
SCOPE = {"district": "7", "township": "7", "village": "8"}
SECTOR_DAC = "1"
SECTOR_OWN_CATEGORY = "99"
SECTOR_OWN_FIELD = "98"

# DAC 5-digit purpose codes by our category, or by field and category where the field says
# more; IATI_SECTORS overrides any of them.
DEFAULT_SECTORS = {
    "infrastructure": "43030",  # Urban development and management
    "housing": "16040",  # Low-cost housing
    "health": "12220",  # Basic health care
    "education": "11120",  # Education facilities and training
    "rural": "43040",  # Rural development
    "governance": "15110",  # Public sector policy and administrative management
    "ecology": "41030",  # Biodiversity
    "energy": "23210",  # Energy generation, renewable sources - multiple technologies
    "other": "43010",  # Multisector aid
    "development/other": "16020",  # Employment creation
    "livelihood/other": "16010",  # Social protection
    "integration/other": "16061",  # Culture and recreation
}


def dac_sector(project: Project) -> str:
    sectors = {**DEFAULT_SECTORS, **settings.IATI_SECTORS}
    return sectors.get(f"{project.field}/{project.category}") or sectors[project.category]


def activity_identifier(project: Project) -> str:
    return f"{settings.IATI_REPORTING_ORG_REF}-{project.code}"


def _timestamp(value: datetime.datetime) -> str:
    return value.isoformat()


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _narratives(parent: etree._Element, obj, field: str) -> None:
    """One narrative per language the record has the text in."""
    for language, iati_language in LANGUAGES:
        text = getattr(obj, f"{field}_{language.replace('-', '_')}", "") or ""
        if text.strip():
            etree.SubElement(parent, "narrative", {XML_LANG: iati_language}).text = text


def _label_narratives(parent: etree._Element, label) -> None:
    for language, iati_language in LANGUAGES:
        with translation.override(language):
            etree.SubElement(parent, "narrative", {XML_LANG: iati_language}).text = str(label)


def _organisation(
    parent: etree._Element, tag: str, organisation: Organisation, reporter: Organisation, **attrs
) -> None:
    """An organisation element; only the reporting organisation has a registered identifier."""
    if organisation.pk == reporter.pk:
        attrs["ref"] = settings.IATI_REPORTING_ORG_REF
    element = etree.SubElement(parent, tag, {**attrs, "type": organisation.iati_code})
    _narratives(element, organisation, "name")


def _reporting_org(parent: etree._Element, reporter: Organisation) -> None:
    element = etree.SubElement(
        parent,
        "reporting-org",
        {"ref": settings.IATI_REPORTING_ORG_REF, "type": reporter.iati_code},
    )
    _narratives(element, reporter, "name")


def _period(parent: etree._Element, start: datetime.date, end: datetime.date) -> None:
    etree.SubElement(parent, "period-start", {"iso-date": start.isoformat()})
    etree.SubElement(parent, "period-end", {"iso-date": end.isoformat()})


def _value(parent: etree._Element, amount: Decimal, date: datetime.date) -> None:
    element = etree.SubElement(parent, "value", {"currency": "CNY", "value-date": date.isoformat()})
    element.text = _money(amount)


def activity_span(project: Project) -> tuple[datetime.date, datetime.date]:
    """The start and end an activity reports its results over: the actual dates when both are
    known, else the planned ones, else the milestones, else the plan period's years."""
    dates = sorted(m.date for m in project.milestones.all())
    period = project.plan_period
    start = (
        (project.actual_start if project.actual_start and project.actual_end else None)
        or project.planned_start
        or project.actual_start
        or (dates[0] if dates else None)
        or (datetime.date(period.start_year, 1, 1) if period else None)
        or project.created_at.date()
    )
    end = (
        (project.actual_end if project.actual_start and project.actual_end else None)
        or project.planned_end
        or project.actual_end
        or (dates[-1] if dates else None)
        or (datetime.date(period.end_year, 12, 31) if period else None)
        or start
    )
    return start, max(start, end)


def _activity_dates(element: etree._Element, project: Project, today: datetime.date) -> None:
    """Planned (1, 3) and actual (2, 4) start and end; an actual date still ahead is not yet
    actual and is left out. With no start recorded, the span's start stands as planned."""
    dates = [
        ("1", project.planned_start),
        (
            "2",
            project.actual_start
            if project.actual_start and project.actual_start <= today
            else None,
        ),
        ("3", project.planned_end),
        ("4", project.actual_end if project.actual_end and project.actual_end <= today else None),
    ]
    if not dates[0][1] and not dates[1][1]:
        dates[0] = ("1", activity_span(project)[0])
    for code, date in dates:
        if date:
            etree.SubElement(element, "activity-date", {"type": code, "iso-date": date.isoformat()})


def _location(element: etree._Element, place: Place) -> None:
    location = etree.SubElement(element, "location")
    etree.SubElement(location, "location-reach", {"code": LOCATION_REACH_ACTIVITY})
    _narratives(etree.SubElement(location, "name"), place, "name")
    if place.latitude is not None and place.longitude is not None:
        point = etree.SubElement(location, "point", {"srsName": WGS84})
        etree.SubElement(point, "pos").text = f"{place.latitude} {place.longitude}"
        etree.SubElement(location, "exactness", {"code": EXACTNESS_APPROXIMATE})
    etree.SubElement(location, "location-class", {"code": LOCATION_CLASS[place.level]})
    etree.SubElement(location, "feature-designation", {"code": FEATURE[place.level]})


def _sectors(element: etree._Element, project: Project) -> None:
    etree.SubElement(
        element,
        "sector",
        {"vocabulary": SECTOR_DAC, "code": dac_sector(project), "percentage": "100"},
    )
    own = (
        (SECTOR_OWN_CATEGORY, project.category, Project.Category(project.category).label),
        (SECTOR_OWN_FIELD, project.field, Project.Field(project.field).label),
    )
    for vocabulary, code, label in own:
        sector = etree.SubElement(
            element, "sector", {"vocabulary": vocabulary, "code": code, "percentage": "100"}
        )
        _label_narratives(sector, label)


def _budgets(element: etree._Element, lines: Iterable[BudgetLine]) -> None:
    for line in lines:
        budget = etree.SubElement(
            element, "budget", {"type": BUDGET_TYPE[line.kind], "status": BUDGET_COMMITTED}
        )
        start = datetime.date(line.year, 1, 1)
        _period(budget, start, datetime.date(line.year, 12, 31))
        _value(budget, line.amount, start)


def transaction_date(entry: LedgerEntry) -> datetime.date:
    """An incoming commitment may be dated ahead; IATI reports a transaction on a day that has
    passed, so such a commitment is reported on the day it was recorded."""
    return min(entry.date, timezone.localdate(entry.recorded_at))


def _transactions(
    element: etree._Element, entries: Iterable[LedgerEntry], reporter: Organisation
) -> None:
    for entry in entries:
        attrs = {"ref": entry.voucher} if entry.voucher else {}
        transaction = etree.SubElement(element, "transaction", attrs)
        etree.SubElement(transaction, "transaction-type", {"code": entry.IATI_CODES[entry.type]})
        date = transaction_date(entry)
        etree.SubElement(transaction, "transaction-date", {"iso-date": date.isoformat()})
        _value(transaction, entry.amount, date)
        for tag, organisation in (
            ("provider-org", entry.provider),
            ("receiver-org", entry.receiver),
        ):
            if organisation is not None:
                _organisation(transaction, tag, organisation, reporter)


def _results(element: etree._Element, project: Project) -> None:
    start, end = activity_span(project)
    for indicator in project.indicators.all():
        result = etree.SubElement(element, "result", {"type": RESULT_OUTPUT})
        _narratives(etree.SubElement(result, "title"), indicator, "name")
        measure = {
            "measure": MEASURE_UNIT,
            "ascending": "1" if indicator.target >= indicator.baseline else "0",
        }
        item = etree.SubElement(result, "indicator", measure)
        _narratives(etree.SubElement(item, "title"), indicator, "name")
        _narratives(etree.SubElement(item, "description"), indicator, "unit")
        etree.SubElement(
            item,
            "baseline",
            {
                "year": str(start.year),
                "iso-date": start.isoformat(),
                "value": _money(indicator.baseline),
            },
        )
        period = etree.SubElement(item, "period")
        _period(period, start, end)
        etree.SubElement(period, "target", {"value": _money(indicator.target)})
        if indicator.actual is not None:
            etree.SubElement(period, "actual", {"value": _money(indicator.actual)})


def activity(project: Project, reporter: Organisation, today: datetime.date) -> etree._Element:
    """One project as an iati-activity (the elements in the schema's order)."""
    element = etree.Element(
        "iati-activity",
        {
            "last-updated-datetime": _timestamp(project.last_changed),  # type: ignore[attr-defined]  # annotated by opendata.selectors
            XML_LANG: LANGUAGES[0][1],
            "default-currency": project.currency,
            "hierarchy": "1",
        },
    )
    etree.SubElement(element, "iati-identifier").text = activity_identifier(project)
    _reporting_org(element, reporter)
    _narratives(etree.SubElement(element, "title"), project, "title")
    general = etree.SubElement(element, "description", {"type": "1"})
    _narratives(general, project, "description")
    if not len(general):
        _narratives(general, project, "summary")
    if not len(general):
        _narratives(general, project, "title")
    participants = [
        (participant.organisation, ORGANISATION_ROLE[participant.role])
        for participant in project.participants.all()
    ]
    # IATI needs one; the programme's donor funds every project of the pairing.
    for organisation, role in participants or [(project.programme.donor, FUNDING_ROLE)]:
        _organisation(element, "participating-org", organisation, reporter, role=role)
    etree.SubElement(element, "activity-status", {"code": ACTIVITY_STATUS[project.status]})
    _activity_dates(element, project, today)
    if project.place is not None:
        etree.SubElement(element, "activity-scope", {"code": SCOPE[project.place.level]})
    etree.SubElement(element, "recipient-country", {"code": COUNTRY, "percentage": "100"})
    if project.place is not None:
        _location(element, project.place)
    _sectors(element, project)
    _budgets(element, project.iati_budget_lines)  # type: ignore[attr-defined]  # prefetched by opendata.selectors
    _transactions(element, project.iati_entries, reporter)  # type: ignore[attr-defined]  # prefetched by opendata.selectors
    _results(element, project)
    return element


def _document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def activities_xml(projects: list[Project], reporter: Organisation, today: datetime.date) -> bytes:
    """An iati-activities file of `projects` (already fetched by `opendata.selectors`), reported
    by `reporter`; generated when its newest activity last changed."""
    root = etree.Element("iati-activities", {"version": VERSION})
    if projects:
        newest = max(project.last_changed for project in projects)  # type: ignore[attr-defined]  # annotated by opendata.selectors
        root.set("generated-datetime", _timestamp(newest))
    for project in projects:
        root.append(activity(project, reporter, today))
    return _document(root)


def organisation_xml(
    reporter: Organisation,
    budgets: list[tuple[int, Decimal]],
    last_changed: datetime.datetime | None,
) -> bytes:
    """An iati-organisations file for the reporting organisation, with its budget per year
    (what its published projects are due in that year) in total and for the recipient
    country."""
    root = etree.Element("iati-organisations", {"version": VERSION})
    organisation = etree.SubElement(
        root, "iati-organisation", {XML_LANG: LANGUAGES[0][1], "default-currency": "CNY"}
    )
    if last_changed is not None:
        root.set("generated-datetime", _timestamp(last_changed))
        organisation.set("last-updated-datetime", _timestamp(last_changed))
    etree.SubElement(organisation, "organisation-identifier").text = settings.IATI_REPORTING_ORG_REF
    _narratives(etree.SubElement(organisation, "name"), reporter, "name")
    _reporting_org(organisation, reporter)
    for tag in ("total-budget", "recipient-country-budget"):
        for year, amount in budgets:
            budget = etree.SubElement(organisation, tag, {"status": BUDGET_COMMITTED})
            if tag == "recipient-country-budget":
                etree.SubElement(budget, "recipient-country", {"code": COUNTRY})
            start = datetime.date(year, 1, 1)
            _period(budget, start, datetime.date(year, 12, 31))
            _value(budget, amount, start)
    return _document(root)
