"""Every education figure the public page, the home page, the admin and the API show.

Figures are cohort-level only, and any figure over fewer than EDUCATION_MIN_GROUP_SIZE students is
suppressed, together with any figure that would let a suppressed one be had by subtraction:

- Per cohort and exam: students sitting, mean, median, highest, lowest, score bands and how many
  were in the area's top N. From the recorded results when the cohort has any for the exam,
  otherwise from the reported cohort figure, labelled with its source; never a mix of the two.
- The highest score is shown (the source reports it; a maximum over at least the minimum group
  is commonly published). The lowest is always withheld publicly: it names the weakest pupil's
  score and no one needs it.
- Differencing. The published pairs are: a programme's intake total and its per-cohort intakes;
  a cohort's intake and the number sitting; the number sitting and the score bands; the number
  sitting and the number in the area's top N. In each, the part left over must be 0 or at least
  the minimum group, otherwise one more figure is suppressed (secondary suppression). No figure
  is published per gender, township or other sub-group, so no other pair exists.
- Releases. The public sees a cohort's results for an exam only as released
  (`released_exam_stats`): figures frozen by `education.services.release_results`, which also
  keeps two releases from being differenced. `exam_stats` computes the figures live, for a
  release to freeze and for staff to preview.

The suppression rules themselves are in `education.suppression`.
"""

import datetime
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, F, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Window

from api.callers import Caller
from core.querysets import built_once, count_of
from education.models import (
    Cohort,
    Enrolment,
    Exam,
    ExamResult,
    Placement,
    ReportedCohortFigure,
    ResultsRelease,
    SponsoredProgramme,
    Student,
)
from education.suppression import (
    DIFFERENCING,
    INDIVIDUAL_SCORE,
    NOT_REPORTED,
    SMALL_GROUP,
    Figure,
    hidden,
    part_of,
    small,
    suppress_cells,
)
from reference.models import Place, Programme

RECORDED = "recorded"
REPORTED = "reported"

# Score bands as shares of the exam's maximum, best first.
BANDS = (
    (Decimal("0.9"), Decimal("1")),
    (Decimal("0.8"), Decimal("0.9")),
    (Decimal("0.7"), Decimal("0.8")),
    (Decimal("0.6"), Decimal("0.7")),
    (Decimal("0"), Decimal("0.6")),
)
TENTH = Decimal("0.1")


# -- cohorts and intakes -----------------------------------------------------------------------


def programmes() -> QuerySet[SponsoredProgramme]:
    return SponsoredProgramme.objects.select_related(
        "pairing", "host_school", "partner", "investment", "enrolled"
    )


def public_programme(pairing: Programme | None) -> SponsoredProgramme | None:
    """The first sponsored programme of a pairing, for the public page and the home page."""
    if pairing is None:
        return None
    return programmes().filter(pairing=pairing).order_by("started_on", "code").first()


def partner_townships() -> QuerySet[Place]:
    """The townships of the partner districts the sponsored classes recruit from: a pupil's home
    township is one of them."""
    districts = Programme.objects.filter(sponsored_programmes__isnull=False).values("partner_place")
    return Place.objects.filter(level=Place.Level.TOWNSHIP, parent__in=districts).order_by(
        "name_zh_hans"
    )


@built_once
def cohorts() -> QuerySet[Cohort]:
    """Every cohort with its enrolment count (`enrolled`): the API's list and the admin's start
    from it, so it is built once per process (core.querysets)."""
    return (
        Cohort.objects.select_related("programme")
        .annotate(enrolled=count_of(Enrolment.objects.filter(cohort=OuterRef("pk"))))
        .order_by("programme_id", "intake_year")
    )


@dataclass(frozen=True)
class Intake:
    cohort: Cohort
    basis: str
    count: Figure
    illustrative: bool


@dataclass(frozen=True)
class IntakeSummary:
    intakes: list[Intake]
    total: Figure
    illustrative: bool
    reported: bool


def _intake_count(cohort: Cohort) -> tuple[str, int | None]:
    """Students admitted: every enrolment recorded, else the reported intake."""
    # `enrolled` is annotated by the queries that fetch cohorts.
    if cohort.enrolled:  # type: ignore[attr-defined]
        return RECORDED, cohort.enrolled  # type: ignore[attr-defined]
    return REPORTED, cohort.reported_intake


def intake_summary(cohort_list: list[Cohort]) -> IntakeSummary:
    """Intakes per cohort and their total, with the per-cohort counts suppressed so that the
    total never reveals a small cohort. Cohorts come from `cohorts()` (annotated)."""
    bases = [_intake_count(cohort) for cohort in cohort_list]
    counts = [count or 0 for _basis, count in bases]
    reasons, total_hidden = suppress_cells(counts, total_published=True)
    intakes = [
        Intake(
            cohort=cohort,
            basis=basis,
            count=hidden(reason)
            if reason
            else (Figure(count) if count is not None else hidden(NOT_REPORTED)),
            illustrative=basis == REPORTED and cohort.is_illustrative("reported_intake"),
        )
        for cohort, (basis, count), reason in zip(cohort_list, bases, reasons, strict=True)
    ]
    total = hidden(DIFFERENCING) if total_hidden else Figure(sum(counts))
    return IntakeSummary(
        intakes=intakes,
        total=total,
        illustrative=any(intake.illustrative for intake in intakes),
        reported=any(intake.basis == REPORTED for intake in intakes),
    )


def intakes_by_cohort(programme_id: int) -> dict[int, Intake]:
    """Each cohort's intake in a programme, as the programme's summary publishes it."""
    summary = intake_summary(list(cohorts().filter(programme_id=programme_id)))
    return {intake.cohort.pk: intake for intake in summary.intakes}


class PublishedIntakes:
    """Each cohort's intake as its programme's summary publishes it, for lists of cohorts: a
    programme's summary is computed the first time one of its cohorts is asked for, so a page
    of cohorts costs one query per programme, not per cohort, and none when the page holds
    every cohort (`seed`)."""

    def __init__(self) -> None:
        self._by_programme: dict[int, dict[int, Intake]] = {}

    def seed(self, every_cohort: Iterable[Cohort]) -> None:
        """Summarise each programme from these cohorts, read by `cohorts()`: all there are of
        every programme among them (a page that holds the whole list)."""
        of_programme: dict[int, list[Cohort]] = {}
        for cohort in every_cohort:
            of_programme.setdefault(cohort.programme_id, []).append(cohort)
        for programme_id, listed in of_programme.items():
            # In the order `cohorts()` reads them, which the summary's suppression follows.
            listed.sort(key=lambda cohort: cohort.intake_year)
            summary = intake_summary(listed)
            self._by_programme[programme_id] = {
                intake.cohort.pk: intake for intake in summary.intakes
            }

    def of(self, cohort: Cohort) -> Intake:
        if cohort.programme_id not in self._by_programme:
            self._by_programme[cohort.programme_id] = intakes_by_cohort(cohort.programme_id)
        return self._by_programme[cohort.programme_id][cohort.pk]


def cohort_intake(cohort: Cohort) -> Intake:
    """One cohort's intake as its programme's summary publishes it."""
    return intakes_by_cohort(cohort.programme_id)[cohort.pk]


# -- results per cohort and exam ---------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    low: Decimal
    high: Decimal
    count: Figure


@dataclass(frozen=True)
class ExamStats:
    cohort: Cohort
    exam: Exam
    basis: str
    source: str
    sitting: Figure
    mean: Figure
    median: Figure
    highest: Figure
    lowest: Figure
    in_area_top_n: Figure
    bands: list[Band] = field(default_factory=list)
    # The release these figures come from; None while they are computed live.
    release: ResultsRelease | None = None
    frozen_area_top_n: int | None = None
    # The reported figure the source comes from, so a release keeps it in both languages.
    source_figure: ReportedCohortFigure | None = None

    @property
    def area_top_n(self) -> int | None:
        if self.release is not None:
            return self.frozen_area_top_n
        return self.exam.area_top_n


def _round(value: Decimal) -> Decimal:
    return Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)


def _band_limits(exam: Exam) -> list[tuple[Decimal, Decimal]]:
    return [
        (_round(exam.maximum_score * low), _round(exam.maximum_score * high)) for low, high in BANDS
    ]


def _recorded_stats(
    cohort: Cohort, exam: Exam, rows: list[Mapping[str, Any]], intake: Figure | None
) -> ExamStats:
    scores = sorted(row["score"] for row in rows if not row["absent"])
    n = len(scores)
    limits = _band_limits(exam)
    if small(n):
        nothing = hidden(SMALL_GROUP)
        return ExamStats(
            cohort=cohort,
            exam=exam,
            basis=RECORDED,
            source="",
            sitting=nothing,
            mean=nothing,
            median=nothing,
            highest=nothing,
            lowest=nothing,
            in_area_top_n=nothing if exam.area_top_n else hidden(NOT_REPORTED),
            bands=[Band(low, high, nothing) for low, high in limits],
        )
    # The number sitting with the cohort's published intake gives how many did not sit.
    # A shown figure has a value; an intake is a whole number of students.
    gap: int = intake.value - n if intake is not None and intake.shown else 0  # type: ignore[operator, assignment]
    sitting = hidden(DIFFERENCING) if small(gap) else Figure(n)
    counts = [
        sum(1 for score in scores if low <= score < high or (index == 0 and score == high))
        for index, (low, high) in enumerate(limits)
    ]
    if sitting.shown:
        reasons, _total = suppress_cells(counts, total_published=True)
    else:
        # The bands would add up to the withheld number sitting: withhold them too.
        reasons = [DIFFERENCING] * len(counts)
    if exam.area_top_n:
        ranked = sum(
            1
            for row in rows
            if not row["absent"] and row["area_rank"] and row["area_rank"] <= exam.area_top_n
        )
        in_top = part_of(ranked, n)
    else:
        in_top = hidden(NOT_REPORTED)
    return ExamStats(
        cohort=cohort,
        exam=exam,
        basis=RECORDED,
        source="",
        sitting=sitting,
        mean=Figure(_round(sum(scores) / n)) if n else hidden(SMALL_GROUP),
        median=Figure(_round(statistics.median(scores))) if n else hidden(SMALL_GROUP),
        highest=Figure(scores[-1]) if n else hidden(SMALL_GROUP),
        lowest=hidden(INDIVIDUAL_SCORE),
        in_area_top_n=in_top,
        bands=[
            Band(low, high, hidden(reason) if reason else Figure(count))
            for (low, high), count, reason in zip(limits, counts, reasons, strict=True)
        ],
    )


def _reported_stats(
    cohort: Cohort, exam: Exam, figure: ReportedCohortFigure, intake: Figure | None
) -> ExamStats:
    n = figure.students
    # A shown figure has a value; an intake is a whole number of students.
    gap: int = intake.value - n if intake is not None and intake.shown else 0  # type: ignore[operator, assignment]
    limits = _band_limits(exam)
    not_reported = hidden(NOT_REPORTED)
    if small(n):
        nothing = hidden(SMALL_GROUP)
        mean = highest = in_top = nothing
    else:
        mean = Figure(figure.mean) if figure.mean is not None else not_reported
        highest = Figure(figure.top_score) if figure.top_score is not None else not_reported
        in_top = (
            part_of(figure.in_area_top_n, n)
            if figure.in_area_top_n is not None and exam.area_top_n
            else not_reported
        )
    return ExamStats(
        cohort=cohort,
        exam=exam,
        basis=REPORTED,
        source=figure.source,
        source_figure=figure,
        sitting=hidden(SMALL_GROUP)
        if small(n)
        else hidden(DIFFERENCING)
        if small(gap)
        else Figure(n),
        mean=mean,
        median=not_reported,
        highest=highest,
        lowest=hidden(INDIVIDUAL_SCORE),
        in_area_top_n=in_top,
        bands=[Band(low, high, not_reported) for low, high in limits],
    )


def exam_stats(cohort_list: list[Cohort]) -> list[ExamStats]:
    """Figures for every (cohort, exam) with results or a reported figure, by exam date. Four
    queries whatever the number of cohorts."""
    if not cohort_list:
        return []
    ids = [cohort.pk for cohort in cohort_list]
    rows: dict[tuple[int, int], list[Mapping[str, Any]]] = defaultdict(list)
    for row in ExamResult.objects.filter(cohort_id__in=ids).values(
        "cohort_id", "exam_id", "absent", "score", "area_rank"
    ):
        rows[(row["cohort_id"], row["exam_id"])].append(row)
    reported = {
        (figure.cohort_id, figure.exam_id): figure
        for figure in ReportedCohortFigure.objects.filter(cohort_id__in=ids)
    }
    exam_ids = {exam_id for _cohort_id, exam_id in {*rows, *reported}}
    exams = {exam.pk: exam for exam in Exam.objects.filter(pk__in=exam_ids)}
    by_id = {cohort.pk: cohort for cohort in cohort_list}
    # Intakes as their programmes publish them: over every cohort of each programme.
    siblings = defaultdict(list)
    for cohort in cohorts().filter(programme_id__in={c.programme_id for c in cohort_list}):
        siblings[cohort.programme_id].append(cohort)
    intakes = {
        intake.cohort.pk: intake.count
        for programme_cohorts in siblings.values()
        for intake in intake_summary(programme_cohorts).intakes
    }
    stats = []
    for key in sorted(
        {*rows, *reported}, key=lambda k: (exams[k[1]].date, by_id[k[0]].intake_year)
    ):
        cohort, exam = by_id[key[0]], exams[key[1]]
        if key in rows:
            stats.append(_recorded_stats(cohort, exam, rows[key], intakes.get(cohort.pk)))
        else:
            stats.append(_reported_stats(cohort, exam, reported[key], intakes.get(cohort.pk)))
    return stats


def live_exam_stats(cohort: Cohort, exam: Exam) -> ExamStats | None:
    """The figures a release of this cohort and exam would publish now, or None when there is
    neither a result nor a reported figure."""
    annotated = list(cohorts().filter(pk=cohort.pk))
    return next((s for s in exam_stats(annotated) if s.exam.pk == exam.pk), None)


# -- releases ----------------------------------------------------------------------------------

FIGURE_NAMES = ("sitting", "mean", "median", "highest", "lowest", "in_area_top_n")
SCORE_NAMES = {"mean", "median", "highest", "lowest"}


def _freeze(figure: Figure) -> dict[str, str | int | None]:
    value = figure.value
    return {"value": str(value) if isinstance(value, Decimal) else value, "reason": figure.reason}


def _thaw(data: dict[str, Any], *, score: bool) -> Figure:
    value = data["value"]
    if value is not None and score:
        value = Decimal(value)
    return Figure(value, data["reason"])


def frozen_figures(stats: ExamStats) -> dict[str, object]:
    """The figures as a release stores them (JSON): each value or null, with its reason."""
    return {
        **{name: _freeze(getattr(stats, name)) for name in FIGURE_NAMES},
        "area_top_n": stats.area_top_n,
        "bands": [
            {"low": str(band.low), "high": str(band.high), "count": _freeze(band.count)}
            for band in stats.bands
        ],
    }


def stats_of_release(release: ResultsRelease) -> ExamStats:
    """A release's frozen figures, shaped as the live ones are."""
    data = release.figures
    figures = {name: _thaw(data[name], score=name in SCORE_NAMES) for name in FIGURE_NAMES}
    return ExamStats(
        cohort=release.cohort,
        exam=release.exam,
        basis=release.basis,
        source=release.source,
        bands=[
            Band(Decimal(band["low"]), Decimal(band["high"]), _thaw(band["count"], score=False))
            for band in data["bands"]
        ],
        release=release,
        frozen_area_top_n=data["area_top_n"],
        **figures,  # type: ignore[arg-type]  # exactly the Figure fields, FIGURE_NAMES
    )


def latest_releases() -> QuerySet[ResultsRelease]:
    """The release in force for each cohort and exam: the one nothing supersedes yet."""
    return ResultsRelease.objects.filter(superseded_by__isnull=True).select_related(
        "exam", "cohort__programme"
    )


def released_exam_stats(cohort_list: list[Cohort]) -> list[ExamStats]:
    """What the public sees: the latest release of every (cohort, exam), by exam date, in one
    query whatever the number of cohorts. A cohort's results never released are not shown."""
    if not cohort_list:
        return []
    by_id = {cohort.pk: cohort for cohort in cohort_list}
    releases = list(latest_releases().filter(cohort_id__in=by_id))
    for release in releases:
        release.cohort = by_id[release.cohort_id]
    releases.sort(key=lambda r: (r.exam.date, r.cohort.intake_year, r.exam.code))
    return [stats_of_release(release) for release in releases]


def releases_of(cohort: Cohort, exam: Exam) -> list[ResultsRelease]:
    """Every release of a cohort's results for an exam, the first one first."""
    return list(
        ResultsRelease.objects.filter(cohort=cohort, exam=exam)
        .select_related("released_by")
        .order_by("number")
    )


@dataclass(frozen=True)
class ProgrammeFigures:
    programme: SponsoredProgramme
    intakes: IntakeSummary
    results: list[ExamStats]
    placements: list["PlacementGroup"]

    @property
    def latest_result(self) -> ExamStats | None:
        return self.results[-1] if self.results else None


def programme_figures(programme: SponsoredProgramme) -> ProgrammeFigures:
    cohort_list = list(cohorts().filter(programme=programme))
    return ProgrammeFigures(
        programme=programme,
        intakes=intake_summary(cohort_list),
        results=released_exam_stats(cohort_list),
        placements=placement_groups(programme),
    )


# -- placements --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementGroup:
    kind: str
    kind_label: str
    province: str
    event: str
    start_date: object
    people: Figure
    source: str
    illustrative: bool
    from_programme: bool


def placement_groups(programme: SponsoredProgramme) -> list[PlacementGroup]:
    """Placements of the programme's graduates and of its pairing's other graduates, grouped by
    kind, province and the event that arranged them; employers and cities of single students are
    never published, and a group under the minimum is suppressed."""
    groups: dict[tuple[bool, str, str, str], list[Placement]] = defaultdict(list)
    for placement in Placement.objects.filter(pairing_id=programme.pairing_id).order_by(
        "start_date", "pk"
    ):
        if placement.programme_id not in (None, programme.pk):
            continue
        key = (
            placement.programme_id is not None,
            placement.kind,
            placement.province,
            placement.event,
        )
        groups[key].append(placement)
    result = []
    for (from_programme, kind, province, event), members in groups.items():
        people = sum(member.headcount for member in members)
        result.append(
            PlacementGroup(
                kind=kind,
                kind_label=str(Placement.Kind(kind).label),
                province=province,
                event=event,
                start_date=members[0].start_date,
                people=hidden(SMALL_GROUP) if small(people) else Figure(people),
                source="; ".join(sorted({m.source for m in members if m.source})),
                illustrative=any(m.is_illustrative("start_date") for m in members),
                from_programme=from_programme,
            )
        )
    return result


# -- restricted records ------------------------------------------------------------------------


def readable_programmes(caller: Caller) -> QuerySet[SponsoredProgramme] | None:
    """Programmes whose students the caller may read: all for staff with the education role,
    the host school's own for its API keys, none otherwise (None: the caller is refused)."""
    if caller.has_perm("education.view_student"):
        return SponsoredProgramme.objects.all()
    if caller.key is not None:
        return SponsoredProgramme.objects.filter(host_school_id=caller.organisation_id)
    return None


def cohorts_writable_by(caller: Caller) -> QuerySet[Cohort]:
    """Cohorts the caller may record results for: all for staff who may add results, the host
    school's own programmes' for its API keys, none otherwise."""
    if caller.has_perm("education.add_examresult"):
        return Cohort.objects.all()
    if caller.key is not None:
        return Cohort.objects.filter(programme__host_school_id=caller.organisation_id)
    return Cohort.objects.none()


def students_for(programme_ids: QuerySet[SponsoredProgramme]) -> QuerySet[Student]:
    enrolments = Enrolment.objects.select_related("cohort__programme").order_by("enrolled_on")
    return (
        Student.objects.filter(enrolments__cohort__programme__in=programme_ids)
        .distinct()
        .select_related("home_township")
        .prefetch_related(Prefetch("enrolments", queryset=enrolments))
        .order_by("public_id")
    )


def results_for(programme_ids: QuerySet[SponsoredProgramme]) -> QuerySet[ExamResult]:
    return (
        ExamResult.objects.filter(cohort__programme__in=programme_ids)
        .select_related("student", "exam", "cohort")
        .order_by("exam__date", "cohort_id", "student__public_id")
    )


@dataclass(frozen=True)
class ReleaseDue:
    """A cohort's results for an exam recorded since its last release (or never released)."""

    cohort: Cohort
    exam: Exam
    results: int
    since: datetime.datetime


def releases_due(caller: Caller) -> list[ReleaseDue] | None:
    """Every cohort and exam with results recorded after its latest release, oldest first, in
    one query, for a caller who may release results: the staff desk's queue. Only cohorts and
    exams are read, no student's record. None for anyone else."""
    if not caller.has_perm("education.add_resultsrelease"):
        return None
    latest = (
        ResultsRelease.objects.filter(cohort=OuterRef("cohort"), exam=OuterRef("exam"))
        .order_by("-released_at")
        .values("released_at")[:1]
    )
    pair = [F("cohort_id"), F("exam_id")]
    rows = (
        ExamResult.objects.alias(last_release=Subquery(latest))
        .filter(Q(last_release__isnull=True) | Q(recorded_at__gt=F("last_release")))
        .annotate(
            waiting=Window(Count("pk"), partition_by=pair),
            first=Window(Min("recorded_at"), partition_by=pair),
        )
        .select_related("cohort__programme", "exam")
        .defer("student", "absent", "score", "area_rank")
        .order_by("cohort_id", "exam_id")
        .distinct("cohort_id", "exam_id")
    )
    due = [ReleaseDue(row.cohort, row.exam, row.waiting, row.first) for row in rows]
    return sorted(due, key=lambda item: item.since)
