"""The shape every spreadsheet import shares: read the file, check every row and report every
problem by row and column, then write all rows in one transaction or none.

An app's importer says what its rows are: its columns and template (`columns`, `sheet_title`,
`lay_out_template`), how a table is checked into rows (`check`), how one row is written
(`write_row`) and which refusals of its services a row may meet (`refusals`, `refusal`).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core import tables
from core.tables import Columns, Problem, UnreadableFile, read_table


class NumberedRow(Protocol):
    number: int  # as the spreadsheet shows it: the header is row 1


RowT = TypeVar("RowT", bound=NumberedRow)
# A progress reporter: (rows, how many, the stage's name) -> the same rows, iterated.
Track = Callable[[Iterable[Any], int, str], Iterable[Any]]
ROW_LEVEL = ""  # the column of a problem that belongs to the row or the file as a whole


def untracked(rows: Iterable[Any], total: int, stage: str) -> Iterable[Any]:
    return rows


@dataclass
class Report(Generic[RowT]):
    """What an import found and did: problems, or the rows read and whether they were written."""

    problems: list[Problem] = field(default_factory=list)
    rows: list[RowT] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


class _Refused(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


class Importer(Generic[RowT]):
    """One import of one file: checked whole, written whole or not at all."""

    model: ClassVar[type[Model]]  # the records it writes (who may add them may import them)
    columns: ClassVar[Columns]  # (key, header); headers stay Chinese in every language
    sheet_title: ClassVar[str]
    report_class: ClassVar[type[Report[Any]]] = Report
    # What a row's service may refuse with; any of these undoes the whole file.
    refusals: ClassVar[tuple[type[Exception], ...]] = (ValidationError,)

    def __init__(self, *, track: Track = untracked):
        self.track = track

    @classmethod
    def for_user(cls, user: Any, *, track: Track = untracked) -> "Importer[RowT]":
        """The importer of a file a user sent, as a background job runs it."""
        return cls(track=track)

    @classmethod
    def headers(cls) -> list[str]:
        return [header for _key, header in cls.columns]

    @classmethod
    def template_xlsx(cls) -> bytes:
        workbook, sheet = tables.template_workbook(cls.columns, title=cls.sheet_title)
        cls.lay_out_template(workbook, sheet)
        return tables.workbook_bytes(workbook)

    @classmethod
    def lay_out_template(cls, workbook: Workbook, sheet: Any) -> None:
        """Widths, number formats, drop-downs and instructions beyond the bold headers."""

    @classmethod
    def template_csv(cls) -> bytes:
        return tables.template_csv(cls.columns)

    def check(self, table: list[tuple[Any, ...]]) -> Report[RowT]:
        """Read and check every row of the table; collect every problem; write nothing."""
        raise NotImplementedError

    def write_row(self, row: RowT) -> None:
        raise NotImplementedError

    def before_writing(self, report: Report[RowT]) -> None:
        """Inside the import's transaction, before its first row (to take locks, say)."""

    def refusal(self, row: RowT, error: Exception) -> Problem:
        """A service's refusal of a checked row, as the report's problem."""
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        return Problem(row.number, ROW_LEVEL, "; ".join(messages))

    def write_rows(self, rows: list[RowT]) -> None:
        """Write the checked rows, inside the import's transaction: one at a time through
        `write_row`, unless the importer writes them in bulk. A refusal raises `refused(...)`."""
        for row in self.track(rows, len(rows), _("Writing")):
            try:
                self.write_row(row)
            except self.refusals as error:
                raise self.refused(row, error) from error

    def refused(self, row: RowT, error: Exception) -> Exception:
        """What `write_rows` raises when a row is refused: the whole file is undone, and the
        report names the row."""
        return _Refused(self.refusal(row, error))

    def write(self, report: Report[RowT]) -> None:
        """Write every checked row in one transaction; one refusal undoes them all."""
        try:
            with transaction.atomic():
                self.before_writing(report)
                self.write_rows(report.rows)
        except _Refused as refused:
            report.problems.append(refused.problem)
            return
        report.written = True

    def run(self, content: bytes, filename: str, *, dry_run: bool = False) -> Report[RowT]:
        """Check a whole file and, unless it is a dry run or has any problem, write all its
        rows."""
        try:
            table = read_table(content, filename)
        except UnreadableFile as error:
            return self.report_class(problems=[Problem(None, ROW_LEVEL, str(error))])
        report = self.check(table)
        if report.ok and not dry_run:
            self.write(report)
        return report
