"""Importing ledger entries from a spreadsheet (.xlsx) or CSV, all rows or none.

Every row is checked first, with one query per referenced table, and every problem is reported
with its row number (as the spreadsheet shows it: the header is row 1) and its column header.
Only a file without problems is written, in one transaction, through `services.record_entries`,
which applies the rules of `services.record_entry` to every row in order (the project locks, the
totals, the ledger's rules) and writes them in bulk; if the service still refuses a row, the
whole import rolls back and the report names that row.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl.worksheet.datavalidation import DataValidation

from core import tables
from core.exceptions import Conflict
from core.imports import ROW_LEVEL, Importer, Report, Track, untracked
from core.tables import Problem, cell_text, column_key
from funding import services
from funding.models import LedgerEntry, ProjectFunding
from projects.models import Project
from reference.models import Organisation

# The template's columns: (key, header). Headers stay Chinese in every interface language.
COLUMNS = [
    ("project", "项目编号"),
    ("type", "类型"),
    ("date", "日期"),
    ("amount", "金额（元）"),
    ("provider", "付款单位编号"),
    ("receiver", "收款单位编号"),
    ("voucher", "凭证号"),
    ("note", "备注"),
]
HEADER = dict(COLUMNS)
REQUIRED = ("project", "type", "date", "amount")

TYPE_NAMES = {
    "到位": LedgerEntry.Type.INCOMING_FUNDS,
    "拨付": LedgerEntry.Type.DISBURSEMENT,
    "支出": LedgerEntry.Type.EXPENDITURE,
    "承诺": LedgerEntry.Type.INCOMING_COMMITMENT,
}
# Also accepted: the stored code (`disbursement`) and the IATI TransactionType code (`3`).
TYPE_CODES = {
    **{value: value for value in LedgerEntry.Type.values},
    **{iati: value for value, iati in LedgerEntry.IATI_CODES.items()},
}
DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
MAX_AMOUNT = Decimal("999999999999.99")  # what DecimalField(max_digits=14, decimal_places=2) holds
MAX_LENGTH = {"voucher": 100, "note": 500}


@dataclass
class Row:
    number: int
    project: Project
    type: str
    date: datetime.date
    amount: Decimal
    provider: Organisation | None
    receiver: Organisation | None
    voucher: str
    note: str


class LedgerReport(Report[Row]):
    def by_type(self) -> list[tuple[str, int, Decimal]]:
        """Per entry type with rows in the file: its label, the row count and the sum."""
        result = []
        for value, label in LedgerEntry.Type.choices:
            amounts = [row.amount for row in self.rows if row.type == value]
            if amounts:
                result.append((str(label), len(amounts), sum(amounts, Decimal("0"))))
        return result


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = DATE_PATTERN.match(cell_text(value))
    if not match:
        raise ValueError(_("Not a date: write it as 2024-03-01."))
    year, month, day = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(_("There is no such date.")) from None


def _parse_amount(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(_("Not an amount."))
    if isinstance(value, float):
        value = repr(value)  # the shortest decimal that is this float: 1234.56, not 1234.5599…
    text = cell_text(value).replace(",", "").replace("，", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Not an amount: write a number such as 12500.00.")) from None
    if not amount.is_finite():
        raise ValueError(_("Not an amount: write a number such as 12500.00."))
    if amount <= 0:
        raise ValueError(_("The amount must be greater than zero."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("The amount may have at most two decimals (fen)."))
    if amount > MAX_AMOUNT:
        raise ValueError(_("The amount is too large."))
    return amount.quantize(Decimal("0.01"))


def _parse_type(value) -> str:
    text = cell_text(value)
    kind = TYPE_NAMES.get(text) or TYPE_CODES.get(text.lower())
    if kind is None:
        raise ValueError(
            _("Unknown type “%(value)s”: write 到位, 拨付, 支出 or 承诺.") % {"value": text}
        )
    return kind


def _rows_with_numbers(table: list[tuple]) -> list[tuple[int, tuple]]:
    # Row numbers as the spreadsheet shows them; wholly blank rows (Excel leaves many) are skipped.
    return [
        (number, row)
        for number, row in enumerate(table[1:], start=2)
        if not all(_blank(cell) for cell in row)
    ]


def _known(mapping: dict, message: str) -> Callable:
    def parser(value):
        code = cell_text(value)
        if code not in mapping:
            raise ValueError(message % {"code": code})
        return mapping[code]

    return parser


def _parsers(
    *, projects: dict[str, Project], organisations: dict[str, Organisation]
) -> dict[str, Callable]:
    """Each checked column's parser, made once per file (with its messages in the language of
    the import)."""
    unknown_organisation = _("No organisation has the code “%(code)s”.")
    return {
        "project": _known(projects, _("No project has the code “%(code)s”.")),
        "type": _parse_type,
        "date": _parse_date,
        "amount": _parse_amount,
        "provider": _known(organisations, unknown_organisation),
        "receiver": _known(organisations, unknown_organisation),
    }


def _read_row(
    number: int, cells: dict[str, object], parsers: dict[str, Callable]
) -> tuple[dict, list[Problem]]:
    """One row's values by column key, and its problems, every cell checked."""
    values: dict = {}
    problems: list[Problem] = []
    for key, parser in parsers.items():
        value = cells[key]
        if _blank(value):
            values[key] = None
            if key in REQUIRED:
                problems.append(Problem(number, HEADER[key], _("This cell is empty.")))
            continue
        try:
            values[key] = parser(value)
        except ValueError as error:
            problems.append(Problem(number, HEADER[key], str(error)))
    for key, limit in MAX_LENGTH.items():
        values[key] = cell_text(cells[key])
        if len(values[key]) > limit:
            problems.append(
                Problem(number, HEADER[key], _("At most %(max)d characters.") % {"max": limit})
            )
    return values, problems


def _beyond_arrivals(number: int, project: Project, amount: Decimal, available: Decimal) -> Problem:
    return Problem(
        number,
        HEADER["amount"],
        _(
            "Only %(room)s CNY of the funds arrived for %(project)s is not yet disbursed, "
            "counting the rows above; %(amount)s CNY cannot be disbursed."
        )
        % {
            "room": f"{max(available, Decimal('0')):,.2f}",
            "project": project.code,
            "amount": f"{amount:,.2f}",
        },
    )


class LedgerImporter(Importer[Row]):
    """Ledger entries, each row written through `services.record_entry` as `recorded_by`."""

    model = LedgerEntry
    columns = COLUMNS
    sheet_title = "台账"
    report_class = LedgerReport
    refusals = (Conflict, ValidationError)

    def __init__(self, *, recorded_by=None, track: Track = untracked):
        super().__init__(track=track)
        self.recorded_by = recorded_by

    @classmethod
    def for_user(cls, user, *, track: Track = untracked) -> "LedgerImporter":
        return cls(recorded_by=user, track=track)

    @classmethod
    def lay_out_template(cls, workbook, sheet) -> None:
        """A drop-down for the type, number formats and a sheet of instructions."""
        for letter, width in zip("ABCDEFGH", (16, 8, 12, 16, 16, 16, 18, 40), strict=True):
            sheet.column_dimensions[letter].width = width
        for cell_range, number_format in (("C2:C5000", "yyyy-mm-dd"), ("D2:D5000", "#,##0.00")):
            for row in sheet[cell_range]:
                row[0].number_format = number_format
        types = DataValidation(
            type="list", formula1='"' + ",".join(TYPE_NAMES) + '"', allow_blank=True
        )
        types.add("B2:B5000")
        sheet.add_data_validation(types)
        notes = workbook.create_sheet("说明")
        for line in (
            ["列", "填写说明"],
            ["项目编号", "门户中已有的项目编号，如 HZ-2021-001"],
            ["类型", "到位、拨付、支出或承诺（也可填代码 incoming_funds、disbursement 等）"],
            ["日期", "如 2024-03-01"],
            ["金额（元）", "大于零，最多两位小数"],
            ["付款单位编号", "可空；门户中已有的单位编号"],
            ["收款单位编号", "可空；门户中已有的单位编号"],
            ["凭证号", "可空，最多 100 字"],
            ["备注", "可空，最多 500 字"],
            [
                "",
                "第一张表的第 1 行是表头，从第 2 行起每行一笔；有任何一行出错则整份文件都不导入。",
            ],
        ):
            tables.append_row(notes, line)
        notes.column_dimensions["A"].width = 16
        notes.column_dimensions["B"].width = 80

    def check(self, table: list[tuple]) -> LedgerReport:
        """Read and check every row; collect every problem, stopping at none."""
        report = LedgerReport()
        if not table or all(_blank(heading) for heading in table[0]):
            report.problems.append(Problem(1, ROW_LEVEL, _("The file has no header row.")))
            return report
        positions: dict[str, int] = {}
        for index, heading in enumerate(table[0]):
            if _blank(heading):
                continue
            key = column_key(heading, COLUMNS)
            if key is None:
                report.problems.append(
                    Problem(1, cell_text(heading), _("Unknown column: use the template's headers."))
                )
            elif key in positions:
                report.problems.append(Problem(1, HEADER[key], _("This column appears twice.")))
            else:
                positions[key] = index
        for key in REQUIRED:
            if key not in positions:
                report.problems.append(Problem(1, HEADER[key], _("This column is missing.")))
        if report.problems:
            return report
        numbered = _rows_with_numbers(table)
        if not numbered:
            report.problems.append(Problem(None, ROW_LEVEL, _("The file has no rows to import.")))
            return report

        def cell(row: tuple, key: str):
            index = positions.get(key)
            return row[index] if index is not None and index < len(row) else None

        project_codes = {cell_text(cell(row, "project")) for _n, row in numbered}
        projects = {p.code: p for p in Project.objects.filter(code__in=project_codes)}
        org_codes = {
            cell_text(cell(row, key)) for _n, row in numbered for key in ("provider", "receiver")
        }
        organisations = {o.code: o for o in Organisation.objects.filter(code__in=org_codes)}
        # What each project may still disburse, as record_entry reckons it, before the file's rows.
        room = {
            row.project_id: row.arrived - row.disbursed - row.pending
            for row in ProjectFunding.objects.filter(
                project_id__in=[project.pk for project in projects.values()]
            )
        }

        parsers = _parsers(projects=projects, organisations=organisations)
        threshold = services.approval_threshold()
        # Each column's position, None for an optional column the file leaves out.
        places = [(key, positions.get(key)) for key, _header in COLUMNS]
        for number, raw in self.track(numbered, len(numbered), _("Checking")):
            width = len(raw)
            cells = {
                key: raw[index] if index is not None and index < width else None
                for key, index in places
            }
            values, problems = _read_row(number, cells, parsers)
            if not problems and values["type"] in (
                LedgerEntry.Type.INCOMING_FUNDS,
                LedgerEntry.Type.DISBURSEMENT,
            ):
                project, amount = values["project"], values["amount"]
                available = room.get(project.pk, Decimal("0"))
                if values["type"] == LedgerEntry.Type.INCOMING_FUNDS:
                    # An arrival above the approval threshold covers nothing until approved.
                    if amount <= threshold:
                        room[project.pk] = available + amount
                else:
                    if amount > available:
                        problems.append(_beyond_arrivals(number, project, amount, available))
                    room[project.pk] = available - amount
            if problems:
                report.problems.extend(problems)
            else:
                report.rows.append(Row(number=number, **values))
        return report

    def write_rows(self, rows: list[Row]) -> None:
        # In bulk: the totals rows locked in one order, each project's totals updated once.
        try:
            services.record_entries(
                entries=[
                    services.NewEntry(
                        project=row.project,
                        type=row.type,
                        date=row.date,
                        amount=row.amount,
                        provider=row.provider,
                        receiver=row.receiver,
                        voucher=row.voucher,
                        note=row.note,
                    )
                    for row in rows
                ],
                recorded_by=self.recorded_by,
            )
        except services.EntryRefused as refused:
            raise self.refused(rows[refused.index], refused.error) from refused

    def refusal(self, row: Row, error: Exception) -> Problem:
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            key, messages = next(iter(error.message_dict.items()))
            return Problem(row.number, HEADER.get(key, ROW_LEVEL), " ".join(messages))
        if isinstance(error, ValidationError):
            return Problem(row.number, ROW_LEVEL, " ".join(error.messages))
        column = HEADER["amount"] if isinstance(error, services.BeyondArrivals) else ROW_LEVEL
        return Problem(row.number, column, str(error))


def import_ledger(
    content: bytes,
    filename: str,
    *,
    recorded_by=None,
    dry_run: bool = False,
    track: Track = untracked,
) -> LedgerReport:
    """Check a whole file and, unless it is a dry run or has any problem, write all its rows."""
    importer = LedgerImporter(recorded_by=recorded_by, track=track)
    # Every report a LedgerImporter makes is its report_class, LedgerReport.
    return cast(LedgerReport, importer.run(content, filename, dry_run=dry_run))
