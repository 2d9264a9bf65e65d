"""Load the demo education file (demo/hangzhou_seni_education.yaml): the 海亮援藏班, its cohorts,
the two 中考 as reported aggregates, the money invested (a reference ReportedFigure) and the
job-fair placements. No individual student is loaded. The public sees results only as released,
so each reported aggregate is released as it is loaded (basis "reported"); a second load with
the same figures releases nothing.

Everything is checked before anything is written: the intakes must add up to the enrolment the
report states. Rows are found by their natural key and saved only when a value differs, so a
second load writes nothing. Any error raises DemoDataError and the whole load is rolled back.
"""

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from core.demo import (
    CREATED,
    UNCHANGED,
    Counts,
    DemoDataError,
    Record,
    Tally,
    choice,
    day,
    fields,
    read,
    section,
    translated,
)
from education.models import (
    Cohort,
    Exam,
    Placement,
    ReportedCohortFigure,
    ResultsRelease,
    SponsoredProgramme,
)
from education.services import ReleaseRefused, release_results
from reference.models import Organisation, Place, Programme, ReportedFigure

DEFAULT_PATH = Path(settings.BASE_DIR) / "demo" / "hangzhou_seni_education.yaml"
MODELS = (
    SponsoredProgramme,
    Cohort,
    Exam,
    ReportedCohortFigure,
    ResultsRelease,
    Placement,
    ReportedFigure,
)
# Places the file names, by administrative code.
PLACES = {"seni": "540602"}


def _decimal(value: Any, *, label: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise DemoDataError(f"{label}: {value!r} is not a number.") from None


def _check(document: Record) -> None:
    """The intakes must add up to the enrolment to date the report states."""
    expected = document.get("expected") or {}
    if "enrolled_to_date" not in expected:
        return
    years = set(expected.get("enrolled_to_date_intakes") or [])
    for item in section(document, "sponsored_programmes"):
        total = sum(
            int(cohort.get("reported_intake") or 0)
            for cohort in item.get("cohorts") or []
            if cohort.get("intake_year") in years
        )
        if total != int(expected["enrolled_to_date"]):
            raise DemoDataError(
                f"sponsored programme {item.get('code')!r}: the intakes of {sorted(years)} add "
                f"up to {total}, the file expects {expected['enrolled_to_date']}."
            )


class Loader:
    def __init__(self, document: Record):
        self.document = document
        self.tally = Tally(model.__name__ for model in MODELS)
        source = document.get("source") or {}
        self.as_of = day(source.get("as_of"), label="source.as_of")
        # The citation in both languages: source_zh_hans and source_en.
        self.source = translated(source, "source", label="source")
        try:
            self.pairing = Programme.objects.get(code=document.get("programme"))
        except Programme.DoesNotExist:
            raise DemoDataError(
                f"programme {document.get('programme')!r} is not loaded: load the projects first."
            ) from None
        self.organisations = {o.code: o for o in Organisation.objects.all()}
        self.places = {
            ref: Place.objects.filter(admin_code=code).first() for ref, code in PLACES.items()
        }

    def organisation(self, code: Any, *, label: str) -> Organisation:
        if code not in self.organisations:
            raise DemoDataError(f"{label}: unknown organisation {code!r}.")
        return self.organisations[code]

    def place(self, ref: Any, *, label: str) -> Place:
        place = self.places.get(ref)
        if place is None:
            raise DemoDataError(f"{label}: unknown place {ref!r}.")
        return place

    def investment(self, item: Record, *, label: str) -> ReportedFigure:
        """A reported figure of the programme (the money invested, the students enrolled)."""
        fields(
            item,
            label=label,
            required={"code", "label", "value"},
            optional={"unit", "qualifier", "order"},
        )
        values = {
            **translated(item, "label", label=label),
            **translated(item, "unit", label=label, required=False),
            "value": _decimal(item["value"], label=label),
            "qualifier": choice(
                item, "qualifier", choices=ReportedFigure.Qualifier.values, label=label
            ),
            "as_of": self.as_of,
            **self.source,
            "order": item.get("order", 0),
        }
        lookup = {"programme": self.pairing, "code": item["code"]}
        return self.tally.write(ReportedFigure, lookup=lookup, values=values, label=label)

    def programmes(self) -> dict[str, SponsoredProgramme]:
        found = {}
        for item in section(self.document, "sponsored_programmes"):
            label = f"sponsored programme {item.get('code')!r}"
            fields(
                item,
                label=label,
                required={"code", "name", "host_school", "started_on", "cohorts"},
                optional={"description", "partner", "investment", "enrolled"},
            )
            investment = item.get("investment")
            enrolled = item.get("enrolled")
            values = {
                "pairing": self.pairing,
                **translated(item, "name", label=label),
                **translated(item, "description", label=label, required=False),
                "host_school": self.organisation(item["host_school"], label=label),
                "partner": self.organisation(item["partner"], label=label)
                if item.get("partner")
                else None,
                "started_on": day(item["started_on"], label=label),
                "investment": self.investment(investment, label=f"{label} investment")
                if investment
                else None,
                "enrolled": self.investment(enrolled, label=f"{label} enrolled")
                if enrolled
                else None,
            }
            programme = self.tally.write(
                SponsoredProgramme, lookup={"code": item["code"]}, values=values, label=label
            )
            found[programme.code] = programme
            for cohort in item["cohorts"]:
                self.cohort(programme, cohort, label=label)
        return found

    def cohort(self, programme: SponsoredProgramme, item: Record, *, label: str) -> None:
        label = f"{label} cohort {item.get('intake_year')!r}"
        fields(
            item,
            label=label,
            required={"intake_year", "grade"},
            optional={"reported_intake", "planned_size", "note", "illustrative_fields"},
        )
        values = {
            "grade": item["grade"],
            "reported_intake": item.get("reported_intake"),
            "planned_size": item.get("planned_size"),
            **translated(item, "note", label=label, required=False),
            **self.source,
            "illustrative_fields": list(item.get("illustrative_fields") or []),
        }
        lookup = {"programme": programme, "intake_year": item["intake_year"]}
        self.tally.write(Cohort, lookup=lookup, values=values, label=label)

    def exams(self) -> dict[str, Exam]:
        found = {}
        for item in section(self.document, "exams"):
            label = f"exam {item.get('code')!r}"
            fields(
                item,
                label=label,
                required={"code", "name", "date", "maximum_score"},
                optional={"date_precision", "ranking_area", "area_top_n"},
            )
            values = {
                **translated(item, "name", label=label),
                "date": day(item["date"], label=label),
                "date_precision": item.get("date_precision", "day"),
                "maximum_score": _decimal(item["maximum_score"], label=label),
                "ranking_area": self.place(item["ranking_area"], label=label)
                if item.get("ranking_area")
                else None,
                "area_top_n": item.get("area_top_n"),
            }
            found[item["code"]] = self.tally.write(
                Exam, lookup={"code": item["code"]}, values=values, label=label
            )
        return found

    def reported_results(self, programmes: dict, exams: dict) -> None:
        for index, item in enumerate(section(self.document, "reported_results"), start=1):
            label = f"reported result #{index}"
            fields(
                item,
                label=label,
                required={"exam", "programme", "intake_year", "students"},
                optional={"mean", "top_score", "in_area_top_n"},
            )
            if item["exam"] not in exams:
                raise DemoDataError(f"{label}: unknown exam {item['exam']!r}.")
            if item["programme"] not in programmes:
                raise DemoDataError(f"{label}: unknown programme {item['programme']!r}.")
            cohort = Cohort.objects.filter(
                programme=programmes[item["programme"]], intake_year=item["intake_year"]
            ).first()
            if cohort is None:
                raise DemoDataError(f"{label}: no cohort of {item['intake_year']}.")
            values = {
                "students": item["students"],
                "mean": _decimal(item["mean"], label=label) if "mean" in item else None,
                "top_score": _decimal(item["top_score"], label=label)
                if "top_score" in item
                else None,
                "in_area_top_n": item.get("in_area_top_n"),
                **self.source,
                "as_of": self.as_of,
            }
            lookup = {"exam": exams[item["exam"]], "cohort": cohort}
            self.tally.write(ReportedCohortFigure, lookup=lookup, values=values, label=label)

    def releases(self, programmes: dict) -> None:
        """Release every reported aggregate loaded, unless its latest release says the same."""
        figures = ReportedCohortFigure.objects.filter(
            cohort__programme__in=list(programmes.values())
        ).select_related("cohort__programme", "exam")
        for figure in figures:
            try:
                release_results(cohort=figure.cohort, exam=figure.exam, released_by=None)
            except ReleaseRefused as refused:
                if refused.reason != ReleaseRefused.UNCHANGED:
                    raise DemoDataError(f"release of {figure}: {refused}") from None
                self.tally.add("ResultsRelease", UNCHANGED)
            else:
                self.tally.add("ResultsRelease", CREATED)

    def placements(self, programmes: dict) -> None:
        for index, item in enumerate(section(self.document, "placements"), start=1):
            label = f"placement #{index}"
            fields(
                item,
                label=label,
                required={"kind", "headcount", "province", "start_date"},
                optional={"programme", "employer", "city", "event", "illustrative_fields"},
            )
            province = translated(item, "province", label=label)
            event = translated(item, "event", label=label, required=False)
            programme = None
            if item.get("programme"):
                if item["programme"] not in programmes:
                    raise DemoDataError(f"{label}: unknown programme {item['programme']!r}.")
                programme = programmes[item["programme"]]
            lookup = {
                "pairing": self.pairing,
                "programme": programme,
                "student": None,
                "kind": item["kind"],
                "province_zh_hans": province["province_zh_hans"],
                "event_zh_hans": event["event_zh_hans"],
            }
            values = {
                "province_en": province["province_en"],
                "event_en": event["event_en"],
                "headcount": item["headcount"],
                "employer": str(item.get("employer") or ""),
                "city": str(item.get("city") or ""),
                "start_date": day(item["start_date"], label=label),
                **self.source,
                "illustrative_fields": list(item.get("illustrative_fields") or []),
            }
            self.tally.write(Placement, lookup=lookup, values=values, label=label)


@transaction.atomic
def load_demo(path: Path | None = None) -> Counts:
    """Load the demo education file; return created/updated/unchanged counts per model."""
    document = read(Path(path) if path else DEFAULT_PATH)
    _check(document)
    loader = Loader(document)
    programmes = loader.programmes()
    exams = loader.exams()
    loader.reported_results(programmes, exams)
    loader.releases(programmes)
    loader.placements(programmes)
    return {
        f"{name} (education)" if name == "ReportedFigure" else name: counts
        for name, counts in loader.tally.as_dict().items()
    }
