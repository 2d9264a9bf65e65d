"""The Importer base: a file checked whole, written whole or not at all, refusals by row."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from core.imports import Importer, Report
from core.tables import Problem

pytestmark = pytest.mark.django_db


@dataclass
class Row:
    number: int
    name: str


class GroupImporter(Importer[Row]):
    """Groups by name; the name "refused" is refused when written."""

    columns = [("name", "名称")]
    sheet_title = "组"

    def check(self, table):
        report: Report[Row] = Report()
        for number, cells in enumerate(table[1:], start=2):
            name = cells[0] if cells else ""
            if name:
                report.rows.append(Row(number, name))
            else:
                report.problems.append(Problem(number, "名称", "empty"))
        return report

    def write_row(self, row):
        if row.name == "refused":
            raise ValidationError("not this one")
        Group.objects.create(name=row.name)


def test_a_good_file_is_written_whole():
    report = GroupImporter().run("名称\n甲\n乙\n".encode(), "groups.csv")

    assert report.ok and report.written
    assert Group.objects.filter(name__in=["甲", "乙"]).count() == 2


def test_a_dry_run_and_a_file_with_problems_write_nothing():
    assert not GroupImporter().run("名称\n甲\n".encode(), "g.csv", dry_run=True).written
    report = GroupImporter().run("名称\n甲\n\n".encode(), "g.csv")

    assert not report.written and report.problems == [Problem(3, "名称", "empty")]
    assert not Group.objects.filter(name="甲").exists()


def test_a_refusal_while_writing_undoes_every_row_and_names_its_row():
    report = GroupImporter().run("名称\n甲\nrefused\n".encode(), "g.csv")

    assert not report.written
    assert report.problems == [Problem(3, "", "not this one")]
    assert not Group.objects.filter(name="甲").exists()


def test_an_unreadable_file_is_a_problem_of_the_whole_file():
    report = GroupImporter().run(b"PK not a zip", "g.xlsx")

    assert [(problem.row, problem.column) for problem in report.problems] == [(None, "")]


def test_the_templates_carry_the_headers():
    assert GroupImporter.template_csv().decode("utf-8-sig").strip() == "名称"
    assert GroupImporter.template_xlsx()[:2] == b"PK"
