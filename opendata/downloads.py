"""A dataset as a CSV, XLSX or JSON download, streamed: rows are read from the database a chunk
at a time and sent as they are written, so no download holds its whole table in memory. CSV and
XLSX cells go through core.tables, which keeps a spreadsheet from taking a text for a formula.
"""

import datetime
import itertools
import json
import tempfile
from decimal import Decimal

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
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


def _workbook_file(dataset: Dataset):
    """The workbook in a temporary file: openpyxl's write-only mode keeps rows on disk, not in
    memory, and the response streams the file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(dataset.name[:31])
    tables.append_row(sheet, dataset.field_names)
    for row in dataset.rows():
        tables.append_row(sheet, [_cell(value) for value in row])
    file = tempfile.TemporaryFile()
    workbook.save(file)
    file.seek(0)
    return file


def download(dataset: Dataset, format: str) -> StreamingHttpResponse:
    filename = f"{dataset.name}.{format}"
    response: HttpResponseBase
    if format == "xlsx":
        response = FileResponse(_workbook_file(dataset), as_attachment=True, filename=filename)
        response["Content-Type"] = FORMATS["xlsx"]
    else:
        body = _csv_body(dataset) if format == "csv" else _json_body(dataset)
        response = StreamingHttpResponse(body, content_type=FORMATS[format])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
