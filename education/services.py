"""Every write to education records, and the rules they keep.

- A result's score lies within 0 and the exam's maximum; an absent student has no score or rank.
- A result belongs to a cohort the student is enrolled in, and a student sits an exam once.
- A student is never deleted while anything refers to them: anonymisation blanks the person and
  keeps the id and the results, so that published aggregates stay true.
- Every read of student-level records writes an access-log row (`log_access`).
- The public sees results only as released (`release_results`); a release that, compared with
  an earlier one, would give a few students' results away is refused.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from api.models import ApiKey
from changes.records import POSTED
from changes.services import record_event
from core.exceptions import Conflict
from education import selectors, suppression
from education.events import RESULTS_RELEASE
from education.models import (
    AccessLogEntry,
    Cohort,
    Exam,
    ExamResult,
    ReportedCohortFigure,
    ResultsRelease,
    Student,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def result_problems(
    *,
    student: Student,
    exam: Exam,
    cohort: Cohort,
    score: Decimal | None,
    area_rank: int | None,
    absent: bool,
) -> dict[str, list[str]]:
    """What is wrong with a result, per field; empty when it may be recorded."""
    problems: dict[str, list[str]] = {}
    if absent:
        if score is not None:
            problems["score"] = [_("An absent student has no score.")]
        if area_rank is not None:
            problems["area_rank"] = [_("An absent student has no rank.")]
    elif score is None:
        problems["score"] = [_("Give the score, or mark the student absent.")]
    elif not Decimal("0") <= score <= exam.maximum_score:
        problems["score"] = [
            _("The score must lie between 0 and the exam's maximum of %(maximum)s.")
            % {"maximum": exam.maximum_score}
        ]
    if area_rank is not None and area_rank < 1:
        problems["area_rank"] = [_("A rank starts at 1.")]
    if student.anonymised_at is not None:
        problems["student"] = [_("This student has been anonymised; no result can be added.")]
    elif not student.enrolments.filter(cohort=cohort).exists():
        problems["student"] = [_("The student is not enrolled in this cohort.")]
    if ExamResult.objects.filter(student=student, exam=exam).exists():
        problems.setdefault("exam", []).append(_("This student already has a result for it."))
    return problems


@transaction.atomic
def record_result(
    *,
    student: Student,
    exam: Exam,
    cohort: Cohort,
    score: Decimal | None,
    area_rank: int | None = None,
    absent: bool = False,
) -> ExamResult:
    """Record one result, refusing it (ValidationError per field) if any rule is broken."""
    # The cohort's row lock queues concurrent writes for one cohort, so the uniqueness check
    # sees the previous write; the unique constraint has the last word all the same.
    Cohort.objects.select_for_update().get(pk=cohort.pk)
    problems = result_problems(
        student=student, exam=exam, cohort=cohort, score=score, area_rank=area_rank, absent=absent
    )
    if problems:
        raise ValidationError(problems)
    try:
        with transaction.atomic():
            return ExamResult.objects.create(
                student=student,
                exam=exam,
                cohort=cohort,
                score=score,
                area_rank=area_rank,
                absent=absent,
            )
    except IntegrityError:
        raise ValidationError({"exam": [_("This student already has a result for it.")]}) from None


@transaction.atomic
def anonymise_student(*, student: Student, by: "User | None") -> Student:
    """Blank everything that identifies the student; keep the id, enrolments and results."""
    student = Student.objects.select_for_update().get(pk=student.pk)
    if student.anonymised_at is not None:
        return student
    student.name = ""
    student.gender = ""
    student.birth_date = None
    student.home_township = None
    student.guardian_contact = ""
    student.consent_given = False
    student.consent_date = None
    student.anonymised_at = timezone.now()
    student.anonymised_by = by if getattr(by, "is_authenticated", False) else None
    student.save()
    return student


def log_access(
    *,
    request: HttpRequest,
    records: Sequence[models.Model | int],
    model: type[models.Model] | None = None,
    user: "User | None" = None,
    api_key: ApiKey | None = None,
) -> AccessLogEntry | None:
    """Record that `records` (instances or ids) of student-level data were read. Nothing is
    written for an empty read."""
    ids = [getattr(record, "pk", record) for record in records]
    if not ids:
        return None
    if model is None:
        # Ids come with their model: records without one are instances.
        model = cast("type[models.Model]", type(records[0]))
    return AccessLogEntry.objects.create(
        user=user,
        api_key=api_key,
        model=model._meta.label,
        object_ids=[str(pk) for pk in ids],
        method=request.method[:8],  # type: ignore[index]  # a request served has its method
        path=request.get_full_path()[:500],
    )


# -- releases ----------------------------------------------------------------------------------


class ReleaseRefused(Conflict):
    """A release that would publish nothing, nothing new, or figures that with an earlier
    release would reveal a few students' results."""

    code = "release-refused"
    NOTHING = "nothing-to-release"
    UNCHANGED = "unchanged"
    DIFFERENCING = "differencing"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class ReleasePlan:
    """What `release_results` would publish now, for staff to confirm: the figures, and the
    refusal when it would refuse."""

    cohort: Cohort
    exam: Exam
    stats: selectors.ExamStats | None
    previous: ResultsRelease | None
    refusal: ReleaseRefused | None = None
    counts: dict[str, int | None] = field(default_factory=dict)
    result_ids: list[int] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.previous.number + 1 if self.previous else 1


def _showed_anything(release: ResultsRelease) -> bool:
    figures = [release.figures[name] for name in selectors.FIGURE_NAMES]
    figures += [band["count"] for band in release.figures["bands"]]
    return any(f["value"] is not None and f["reason"] is None for f in figures)


def _changed_since(
    release: ResultsRelease, result_ids: list[int], counts: dict[str, int | None]
) -> int:
    """How many students' results differ between an earlier release and now: added, removed or
    changed since (a change is read from the results' history). Against a reported release,
    whose students are not known one by one, the largest difference of the counts both give."""
    if release.basis == ResultsRelease.Basis.RECORDED:
        before, now = set(release.result_ids), set(result_ids)
        changed: int = (
            ExamResult.history.filter(  # type: ignore[attr-defined]  # simple-history's manager
                id__in=before & now, history_date__gt=release.released_at, history_type="~"
            )
            .values("id")
            .distinct()
            .count()
        )
        return len(before ^ now) + changed
    differences = [
        abs(counts[name] - release.counts[name])
        for name in ("sitting", "in_area_top_n")
        if counts.get(name) is not None and release.counts.get(name) is not None
    ]
    return max(differences, default=0)


def _counts(cohort: Cohort, exam: Exam, basis: str) -> tuple[dict[str, int | None], list[int]]:
    """The numbers behind the figures (kept with the release, never published) and the results
    released."""
    if basis == ResultsRelease.Basis.REPORTED:
        figure = ReportedCohortFigure.objects.get(cohort=cohort, exam=exam)
        return {"sitting": figure.students, "in_area_top_n": figure.in_area_top_n}, []
    rows = list(
        ExamResult.objects.filter(cohort=cohort, exam=exam).values("pk", "absent", "area_rank")
    )
    present = [row for row in rows if not row["absent"]]
    top_n = exam.area_top_n
    counts = {
        "sitting": len(present),
        "in_area_top_n": sum(1 for r in present if r["area_rank"] and r["area_rank"] <= top_n)
        if top_n
        else None,
    }
    return counts, sorted(row["pk"] for row in rows)


def plan_release(*, cohort: Cohort, exam: Exam) -> ReleasePlan:
    """The release `release_results` would make now, with its refusal if it would refuse."""
    stats = selectors.live_exam_stats(cohort, exam)
    earlier = selectors.releases_of(cohort, exam)
    plan = ReleasePlan(
        cohort=cohort, exam=exam, stats=stats, previous=earlier[-1] if earlier else None
    )
    if stats is None:
        plan.refusal = ReleaseRefused(
            _(
                "There is nothing to release: this cohort has no result and no reported figure "
                "for this exam."
            ),
            reason=ReleaseRefused.NOTHING,
        )
        return plan
    plan.counts, plan.result_ids = _counts(cohort, exam, stats.basis)
    minimum = suppression.min_group()
    if stats.basis == ResultsRelease.Basis.RECORDED:
        for release in earlier:
            if not _showed_anything(release):
                continue
            changed = _changed_since(release, plan.result_ids, plan.counts)
            if 0 < changed < minimum:
                plan.refusal = ReleaseRefused(
                    ngettext(
                        "Refused: the result of %(changed)d student differs from release "
                        "%(number)d of %(date)s. A new release must differ from every earlier "
                        "one by none or at least %(minimum)d students' results, or comparing "
                        "the two would reveal theirs. Release again when more results are "
                        "recorded.",
                        "Refused: the results of %(changed)d students differ from release "
                        "%(number)d of %(date)s. A new release must differ from every earlier "
                        "one by none or at least %(minimum)d students' results, or comparing "
                        "the two would reveal theirs. Release again when more results are "
                        "recorded.",
                        changed,
                    )
                    % {
                        "changed": changed,
                        "number": release.number,
                        "date": formats.date_format(
                            timezone.localtime(release.released_at), "DATE_FORMAT"
                        ),
                        "minimum": minimum,
                    },
                    reason=ReleaseRefused.DIFFERENCING,
                )
                return plan
    previous = plan.previous
    if (
        previous is not None
        and previous.basis == stats.basis
        and previous.source == stats.source
        and previous.figures == selectors.frozen_figures(stats)
    ):
        plan.refusal = ReleaseRefused(
            _("Nothing to release: the figures are those of release %(number)d already.")
            % {"number": previous.number},
            reason=ReleaseRefused.UNCHANGED,
        )
    return plan


@transaction.atomic
def release_results(*, cohort: Cohort, exam: Exam, released_by: "User | None") -> ResultsRelease:
    """Publish a cohort's figures for an exam as a frozen release, superseding the previous one.

    The figures are computed as `education.selectors.exam_stats` does, with its suppression, and
    kept as they are: the public sees nothing else, so a result recorded later changes nothing
    public until the next release.

    Differencing between releases. Two releases over groups of results that differ by k
    students (results added, removed or corrected between them) together say something about
    those k through every figure: the number sitting times the mean gives their total, so one
    student's score when k = 1 (6 × 74.2 − 5 × 76.2 = 64.2); a band's count or the top-N count
    changing says in which band they are or whether they are in the top N; a new highest or
    median may be theirs; even a mean that does not move says the newcomer scored it. Withholding
    only the figures that moved would not do: those that did not move speak too, and the earlier
    release stays public. So a release computed from results is refused whole when it differs by
    1 to min−1 students from any earlier release that showed a figure: every earlier one, not
    only the last, since two releases each 5 apart from the one between can be 1 apart from each
    other. Against a reported release, whose students are not known one by one, the difference
    is that of the counts (students sitting, in the top N). A release of a reported figure is
    not checked: its source has published those figures already. A release identical to the
    last is refused as publishing nothing new. Only pairs of releases are compared: combining
    three or more releases could still narrow a result down, which this rule does not exclude.
    """
    # The cohort's row lock queues releases with each other and with new results.
    Cohort.objects.select_for_update().get(pk=cohort.pk)
    plan = plan_release(cohort=cohort, exam=exam)
    if plan.refusal is not None:
        raise plan.refusal
    stats = plan.stats
    assert stats is not None
    release = ResultsRelease.objects.create(
        cohort=cohort,
        exam=exam,
        number=plan.number,
        supersedes=plan.previous,
        basis=stats.basis,
        # The source in both languages, as the reported figure gives it.
        source_zh_hans=getattr(stats.source_figure, "source_zh_hans", "") or "",
        source_en=getattr(stats.source_figure, "source_en", "") or "",
        figures=selectors.frozen_figures(stats),
        counts=plan.counts,
        result_ids=plan.result_ids,
        released_by=released_by if getattr(released_by, "is_authenticated", False) else None,
    )
    # Released figures are public: the change feed says so in the same transaction.
    record_event(
        record=RESULTS_RELEASE,
        instance=release,
        change=POSTED,
        changed_fields=["figures"],
        public=RESULTS_RELEASE.published(release),
    )
    return release
