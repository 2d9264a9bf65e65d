"""Importing exam results from a spreadsheet (.xlsx) or CSV, all rows or none.

Every row is checked first and every problem is reported with its row number (the header is row
1) and its column header. Only a file without problems is written, in one transaction, each row
through `services.record_result`, so the same rules apply as to a result posted by the API.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.imports import Importer, Report
from core.tables import Problem, cell_text, column_key
from education import services
from education.models import Cohort, Exam, SponsoredProgramme, Student

# The template's columns: (key, header). Headers stay Chinese in every interface language.
COLUMNS = [
    ("student", "学生编号"),
    ("exam", "考试编号"),
    ("intake_year", "入学年份"),
    ("absent", "缺考"),
    ("score", "分数"),
    ("area_rank", "区内排名"),
]
HEADER = dict(COLUMNS)
REQUIRED = ("student", "exam", "intake_year")
YES = {"是", "缺考", "yes", "y", "true", "1"}
NO = {"", "否", "no", "n", "false", "0"}


@dataclass
class Row:
    number: int
    student: Student
    exam: Exam
    cohort: Cohort
    absent: bool
    score: Decimal | None
    area_rank: int | None


def _score(value) -> Decimal | None:
    if isinstance(value, float):
        value = repr(value)
    text = cell_text(value)
    if not text:
        return None
    try:
        score = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Not a score: write a number such as 812.5.")) from None
    if not score.is_finite() or score != score.quantize(Decimal("0.1")):
        raise ValueError(_("A score has at most one decimal."))
    return score


def _whole(value, *, message: str) -> int | None:
    text = cell_text(value)
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(message)
    return int(text)


class ResultsImporter(Importer[Row]):
    """Exam results of one sponsored programme, each row written through
    `services.record_result`."""

    columns = COLUMNS
    sheet_title = "成绩"

    def __init__(self, *, programme: SponsoredProgramme):
        super().__init__()
        self.programme = programme

    def check(self, table: list[tuple]) -> Report[Row]:
        """Every row read and checked against the rules; nothing written."""
        report: Report[Row] = Report()
        if not table:
            report.problems.append(Problem(None, "", _("The file is empty.")))
            return report
        keys = [column_key(cell, COLUMNS) for cell in table[0]]
        missing = [HEADER[key] for key in REQUIRED if key not in keys]
        if missing:
            report.problems.append(
                Problem(1, "", _("Missing columns: %(names)s.") % {"names": ", ".join(missing)})
            )
            return report
        students = {
            s.public_id: s
            for s in Student.objects.filter(enrolments__cohort__programme=self.programme).distinct()
        }
        exams = {exam.code: exam for exam in Exam.objects.all()}
        cohorts = {cohort.intake_year: cohort for cohort in self.programme.cohorts.all()}
        seen: dict[tuple[int, int], int] = {}
        for number, cells in enumerate(table[1:], start=2):
            if all(not cell_text(cell) for cell in cells):
                continue
            values = {key: cells[i] for i, key in enumerate(keys) if key and i < len(cells)}
            problems: list[Problem] = []

            def problem(key: str, message: str, number=number, problems=problems) -> None:
                problems.append(Problem(number, HEADER[key], message))

            student = students.get(cell_text(values.get("student")))
            if student is None:
                problem("student", _("No student of this programme has this id."))
            exam = exams.get(cell_text(values.get("exam")))
            if exam is None:
                problem("exam", _("No exam has this code."))
            cohort = None
            try:
                year = _whole(values.get("intake_year"), message=_("Write the year, such as 2021."))
                cohort = cohorts.get(year) if year is not None else None
                if cohort is None:
                    problem("intake_year", _("The programme has no cohort of this year."))
            except ValueError as error:
                problem("intake_year", str(error))
            absent_text = cell_text(values.get("absent")).lower()
            absent = absent_text in YES
            if not absent and absent_text not in NO:
                problem("absent", _("Write 是 (absent) or leave it empty."))
            score = area_rank = None
            try:
                score = _score(values.get("score"))
            except ValueError as error:
                problem("score", str(error))
            try:
                area_rank = _whole(values.get("area_rank"), message=_("A rank is a whole number."))
            except ValueError as error:
                problem("area_rank", str(error))
            if student and exam and cohort and not problems:
                rules = services.result_problems(
                    student=student,
                    exam=exam,
                    cohort=cohort,
                    score=score,
                    area_rank=area_rank,
                    absent=absent,
                )
                for name, messages in rules.items():
                    for message in messages:
                        problem(name if name in HEADER else "student", message)
                earlier = seen.get((student.pk, exam.pk))
                if earlier:
                    problem("student", _("Also in row %(row)d for this exam.") % {"row": earlier})
                seen[(student.pk, exam.pk)] = number
            if problems:
                report.problems.extend(problems)
            else:
                # A row without problems has found its student, exam and cohort.
                report.rows.append(Row(number, student, exam, cohort, absent, score, area_rank))  # type: ignore[arg-type]
        if not report.rows and not report.problems:
            report.problems.append(Problem(None, "", _("The file has no rows below the header.")))
        return report

    def write_row(self, row: Row) -> None:
        services.record_result(
            student=row.student,
            exam=row.exam,
            cohort=row.cohort,
            score=row.score,
            area_rank=row.area_rank,
            absent=row.absent,
        )


def import_results(
    content: bytes, filename: str, *, programme: SponsoredProgramme, dry_run: bool = False
) -> Report[Row]:
    return ResultsImporter(programme=programme).run(content, filename, dry_run=dry_run)
