"""The spreadsheet helpers every download shares: no cell a spreadsheet would run as a formula."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from core import tables

DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]
SAFE = ["杭嘉新村", "a=b", "", "1+1"]
NUMBERS = [Decimal("-1234.56"), -5, 3.5, "-1234.56", "+86", "-1,000.00"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_text_that_would_start_a_formula_gets_an_apostrophe(text):
    assert tables.neutralise(text) == "'" + text


@pytest.mark.parametrize("value", SAFE + NUMBERS + [None])
def test_other_text_and_numbers_are_unchanged(value):
    assert tables.neutralise(value) == value


def test_csv_rows_come_out_neutralised():
    out = io.StringIO(newline="")
    tables.write_csv(out, [DANGEROUS, NUMBERS])

    dangerous, numbers = csv.reader(io.StringIO(out.getvalue(), newline=""))
    assert dangerous == ["'" + text for text in DANGEROUS]
    assert numbers == ["-1234.56", "-5", "3.5", "-1234.56", "+86", "-1,000.00"]


def test_xlsx_cells_are_text_not_formulas_and_numbers_stay_numbers():
    workbook = Workbook()
    tables.append_row(workbook.active, DANGEROUS)
    tables.append_row(workbook.active, [Decimal("-1234.56"), -5])

    sheet = load_workbook(io.BytesIO(tables.workbook_bytes(workbook))).active
    cells = list(sheet.iter_rows(values_only=False))
    assert [cell.data_type for cell in cells[0]] == ["s"] * len(DANGEROUS)
    # A carriage return comes back as a line feed from ElementTree and as itself from lxml
    # (openpyxl uses lxml when installed); what counts is the leading apostrophe.
    assert [cell.value.replace("\r", "\n") for cell in cells[0]] == [
        "'" + text.replace("\r", "\n") for text in DANGEROUS
    ]
    assert [cell.value for cell in cells[1][:2]] == [-1234.56, -5]
    assert [cell.data_type for cell in cells[1][:2]] == ["n", "n"]
