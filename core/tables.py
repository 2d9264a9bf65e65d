"""The spreadsheet plumbing every import and download shares: reading an uploaded .xlsx or CSV
into rows, reading its cells, naming its columns, the problem a check reports, the templates'
first lines, and writing CSV and .xlsx rows that a spreadsheet cannot mistake for formulas. What
a row means and which rules it must meet stays with each app's `imports.py`.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

Columns = list[tuple[str, str]]  # (key, header); headers stay Chinese in every language
Row = tuple[object, ...]  # a spreadsheet's cells: text, numbers, dates or None


class UnreadableFile(Exception):
    """The file is not a spreadsheet or CSV an import can read."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import, where the spreadsheet shows it: the header is row 1."""

    row: int | None  # None: the file as a whole
    column: str  # the column's header; empty for the row or the file as a whole
    message: str

    def __str__(self) -> str:
        where = [_("row %(row)d") % {"row": self.row}] if self.row is not None else []
        if self.column:
            where.append(self.column)
        return f"{', '.join(where)}: {self.message}" if where else self.message


def _read_xlsx(content: bytes) -> list[Row]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise UnreadableFile(_("This is not an Excel (.xlsx) file.")) from error
    try:
        return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def _read_csv(content: bytes) -> list[Row]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            _("The CSV file is not UTF-8: save it as “CSV UTF-8” and try again.")
        ) from error
    return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""))]


def read_table(content: bytes, filename: str) -> list[Row]:
    """The file's rows as tuples of cell values, header first, whatever the format."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx" or (suffix != ".csv" and content[:2] == b"PK"):
        return _read_xlsx(content)
    if suffix in (".csv", ".txt", ""):
        return _read_csv(content)
    raise UnreadableFile(_("Upload an Excel (.xlsx) or CSV file."))


def cell_text(value: object) -> str:
    """A cell as text, stripped; a code Excel stored as a number comes back without '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def column_key(cell: object, columns: Columns) -> str | None:
    """Which column a header cell names, by its header or its key; half-width brackets and
    spaces as typed by hand are forgiven."""
    text = cell_text(cell).replace("(", "（").replace(")", "）").replace(" ", "")
    for key, header in columns:
        if text in (header, key):
            return key
    return None


# OWASP's rule against CSV injection: a text cell beginning with one of these is taken for a
# formula by Excel, LibreOffice and Google Sheets (the tab and carriage return too, once trimmed).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain number written as text (a negative amount, "-1234.56") is data, not a formula.
PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d,]*(\.\d+)?$")


def neutralise(value: object) -> object:
    """A cell value safe to open in a spreadsheet: text that would start a formula gets a
    leading apostrophe, shown as text and never evaluated; numbers and other values unchanged."""
    if not isinstance(value, str) or PLAIN_NUMBER.match(value):
        return value
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_csv(stream: "SupportsWrite[str]", rows: Iterable[Iterable[object]]) -> None:
    """Write rows as CSV to a file-like object (an HttpResponse too), every cell neutralised."""
    writer = csv.writer(stream)
    writer.writerows([neutralise(value) for value in row] for row in rows)


class _Line:
    """A file-like object whose write returns the text: csv.writer then gives each line back."""

    def write(self, text: str) -> str:
        return text


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Rows as CSV lines, one at a time, every cell neutralised: for downloads that stream."""
    writer = csv.writer(_Line())
    for row in rows:
        yield writer.writerow([neutralise(value) for value in row])


def append_row(sheet: Worksheet, values: Iterable[object]) -> None:
    """Append a row to an openpyxl sheet, every cell neutralised: openpyxl would store a text
    beginning with "=" as a formula."""
    sheet.append([neutralise(value) for value in values])


def template_csv(columns: Columns) -> bytes:
    """A CSV template: the header line, UTF-8 with a BOM so that Excel shows the Chinese."""
    out = io.StringIO(newline="")
    out.write("\ufeff")
    write_csv(out, [[header for _key, header in columns]])
    return out.getvalue().encode("utf-8")


def template_workbook(columns: Columns, *, title: str) -> tuple[Workbook, Worksheet]:
    """A workbook whose first sheet has the headers in bold and frozen; the caller adds widths,
    formats and drop-downs, then saves it with `workbook_bytes`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    append_row(sheet, [header for _key, header in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return workbook, sheet


def workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
