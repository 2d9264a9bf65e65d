"""Every write to education records, and the rules they keep.

- A result's score lies within 0 and the exam's maximum; an absent student has no score or rank.
- A result belongs to a cohort the student is enrolled in, and a student sits an exam once.
- A student is never deleted while anything refers to them: anonymisation blanks the person and
  keeps the id and the results, so that published aggregates stay true.
- Every read of student-level records writes an access-log row (`log_access`).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from education.models import AccessLogEntry, Cohort, Exam, ExamResult, Student


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
def anonymise_student(*, student: Student, by) -> Student:
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


def log_access(*, request, records, model=None, user=None, api_key=None) -> AccessLogEntry | None:
    """Record that `records` (instances or ids) of student-level data were read. Nothing is
    written for an empty read."""
    ids = [getattr(record, "pk", record) for record in records]
    if not ids:
        return None
    if model is None:
        model = type(records[0])
    return AccessLogEntry.objects.create(
        user=user,
        api_key=api_key,
        model=model._meta.label,
        object_ids=[str(pk) for pk in ids],
        method=request.method[:8],
        path=request.get_full_path()[:500],
    )
