"""A dataset as a CSV, XLSX or JSON file, streamed: rows are read from the database a chunk at a
time and written as they come, so no download holds its whole table in memory. CSV and JSON are
sent as they are written; an XLSX (a zip, whole only at its end) is written by the worker into
the exports storage and sent from there (opendata.exports). CSV and XLSX cells go through
core.tables, which keeps a spreadsheet from taking a text for a formula.
"""

import datetime
import itertools
import json
from decimal import Decimal
from typing import IO

from django.http import StreamingHttpResponse
from openpyxl import Workbook

from core import tables
from opendata.datasets import Dataset

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _json(value):
    """A value as JSON carries it: ISO dates and times (UTC, whole seconds), decimals as
    strings, written exactly; an empty text is a missing value (null), like an empty cell."""
    if value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).replace(microsecond=0).isoformat()
    if isinstance(value, datetime.date | Decimal):
        return str(value)
    return value


def _text(value):
    """A value as a CSV cell: as in JSON, booleans as true and false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _json(value)


def _cell(value):
    """A value as an XLSX cell: numbers, dates and booleans native; a time with its zone as ISO
    text, since Excel keeps no time zones."""
    if value == "":
        return None
    if isinstance(value, datetime.datetime):
        return _json(value)
    return value


def _csv_body(dataset: Dataset):
    yield "\ufeff"  # the byte-order mark tells Excel the file is UTF-8
    rows = ([_text(value) for value in row] for row in dataset.rows())
    yield from tables.csv_lines(itertools.chain([dataset.field_names], rows))


def _json_body(dataset: Dataset):
    names = dataset.field_names
    separator = "[\n"
    for row in dataset.rows():
        record = dict(zip(names, (_json(value) for value in row), strict=True))
        yield separator + json.dumps(record, ensure_ascii=False)
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def write_workbook(dataset: Dataset, file: IO[bytes]) -> int:
    """Write the dataset as a workbook into `file` and return its number of rows: openpyxl's
    write-only mode keeps rows on disk, not in memory. The worker builds the XLSX downloads this
    way (opendata.exports)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(dataset.name[:31])
    tables.append_row(sheet, dataset.field_names)
    rows = 0
    for row in dataset.rows():
        tables.append_row(sheet, [_cell(value) for value in row])
        rows += 1
    workbook.save(file)
    return rows


def download(dataset: Dataset, format: str) -> StreamingHttpResponse:
    """The dataset as CSV or JSON, written as its rows are read."""
    body = _csv_body(dataset) if format == "csv" else _json_body(dataset)
    response = StreamingHttpResponse(body, content_type=FORMATS[format])
    response["Content-Disposition"] = f'attachment; filename="{dataset.name}.{format}"'
    return response
