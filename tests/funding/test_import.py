"""Importing the ledger from .xlsx and CSV: all rows or none, every problem by row and column."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import execute_from_command_line
from django.db import connections
from django.utils import translation
from openpyxl import Workbook, load_workbook

from core.tables import read_table
from funding import imports, services
from funding.models import LedgerEntry, ProjectFunding
from tests.factories import OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "项目编号",
    "类型",
    "日期",
    "金额（元）",
    "付款单位编号",
    "收款单位编号",
    "凭证号",
    "备注",
]
ARRIVAL, DISBURSEMENT = LedgerEntry.Type.INCOMING_FUNDS, LedgerEntry.Type.DISBURSEMENT
IMPORT = "/en/admin/funding/ledgerentry/import/"


def xlsx(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    workbook.active.append(headers)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, *, bom=True, headers=HEADERS) -> bytes:
    lines = [",".join(headers)] + [",".join(str(cell) for cell in row) for row in rows]
    return (("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.fixture(autouse=True)
def _english():
    # The checks' messages are asserted in English; the portal speaks Chinese by default.
    with translation.override("en"):
        yield


@pytest.fixture
def hangzhou():
    return OrganisationFactory(code="HZ-FIN"), OrganisationFactory(code="SENI-FIN")


def good_rows(project):
    return [
        [
            project.code,
            "到位",
            datetime.datetime(2024, 3, 1),
            1000000,
            "HZ-FIN",
            "SENI-FIN",
            "杭财-1",
        ],
        [project.code, "拨付", "2024-03-15", "600000.50", "SENI-FIN", "", "色财-2", "第一期"],
        [project.code, "expenditure", "2024/4/2", 12345.67, "", "", "", ""],
        [project.code, "承诺", "2024年5月1日", "2,000,000", "", "", "", ""],
    ]


def staff_in(group_name: str) -> User:
    user = User.objects.create_user(group_name.replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def assert_good_import_written(project):
    totals = ProjectFunding.objects.get(project=project)
    assert (totals.arrived, totals.disbursed, totals.spent, totals.committed) == (
        Decimal("1000000"),
        Decimal("600000.50"),
        Decimal("12345.67"),
        Decimal("2000000"),
    )
    disbursement = LedgerEntry.objects.get(type=DISBURSEMENT)
    assert (disbursement.provider.code, disbursement.receiver) == ("SENI-FIN", None)
    assert (disbursement.voucher, disbursement.note) == ("色财-2", "第一期")
    assert disbursement.date == datetime.date(2024, 3, 15)
    assert LedgerEntry.objects.get(type=ARRIVAL).receiver.code == "SENI-FIN"


def test_a_good_xlsx_file_writes_every_row_and_the_totals(hangzhou):
    project = ProjectFactory()

    report = imports.import_ledger(xlsx(good_rows(project)), "台账.xlsx")

    assert report.ok and report.written and len(report.rows) == 4
    assert LedgerEntry.objects.count() == 4
    assert_good_import_written(project)


@pytest.mark.parametrize("bom", [True, False])
def test_a_good_csv_file_writes_every_row_with_or_without_a_bom(hangzhou, bom):
    project = ProjectFactory()
    rows = good_rows(project)
    rows[0][2] = "2024-03-01"
    rows[1][3] = '"600,000.50"'
    rows[3][3] = '"2,000,000"'

    report = imports.import_ledger(csv_bytes(rows, bom=bom), "ledger.csv")

    assert report.ok, report.problems
    assert LedgerEntry.objects.count() == 4
    assert_good_import_written(project)


def test_a_file_with_bad_rows_writes_nothing_and_reports_every_problem(hangzhou):
    project = ProjectFactory(code="HZ-OK")
    rows = [
        ["HZ-OK", "到位", "2024-03-01", "1000", "", "", "", ""],  # row 2: fine
        ["HZ-NOPE", "到位", "2024-03-01", "1000", "", "", "", ""],  # 3
        ["HZ-OK", "退款", "2024-02-30", "-5", "", "", "", ""],  # 4: three problems
        ["HZ-OK", "支出", "2024-03-01", "12.345", "NOBODY", "HZ-FIN", "", ""],  # 5: two
        ["HZ-OK", "", "", "abc", "", "", "", "x" * 501],  # 6: four
        ["", "", "", "", "", "", "", ""],  # blank rows are skipped
        ["HZ-OK", "拨付", "2024-03-02", "0", "", "", "", ""],  # 8
    ]

    report = imports.import_ledger(xlsx(rows), "bad.xlsx")

    assert not report.written
    assert {(problem.row, problem.column) for problem in report.problems} == {
        (3, "项目编号"),
        (4, "类型"),
        (4, "日期"),
        (4, "金额（元）"),
        (5, "金额（元）"),
        (5, "付款单位编号"),
        (6, "类型"),
        (6, "日期"),
        (6, "金额（元）"),
        (6, "备注"),
        (8, "金额（元）"),
    }
    messages = {(p.row, p.column): p.message for p in report.problems}
    assert "HZ-NOPE" in messages[(3, "项目编号")]
    assert "no such date" in messages[(4, "日期")]
    assert "greater than zero" in messages[(4, "金额（元）")]
    assert "two decimals" in messages[(5, "金额（元）")]
    assert "NOBODY" in messages[(5, "付款单位编号")]
    assert str(report.problems[0]) == "row 3, 项目编号: " + messages[(3, "项目编号")]
    assert (
        not LedgerEntry.objects.exists()
        and not ProjectFunding.objects.filter(project=project).exists()
    )


def test_missing_and_unknown_columns_are_reported_on_the_header_row():
    report = imports.import_ledger(
        xlsx([["P", "到位", "1000"]], headers=["项目编号", "种类", "金额（元）"]), "x.xlsx"
    )

    assert {(p.row, p.column) for p in report.problems} == {(1, "种类"), (1, "类型"), (1, "日期")}


def test_a_third_row_that_would_overdraw_arrivals_refuses_the_whole_file():
    project = ProjectFactory(code="HZ-OVER")
    services.record_entry(
        project=project, type=ARRIVAL, date=datetime.date(2024, 1, 1), amount=Decimal("100")
    )
    rows = [
        ["HZ-OVER", "到位", "2024-03-01", "1000"],
        ["HZ-OVER", "拨付", "2024-03-02", "700"],
        ["HZ-OVER", "拨付", "2024-03-03", "400.01"],  # 1,100 arrived, 700 already disbursed
    ]

    report = imports.import_ledger(xlsx(rows, headers=HEADERS[:4]), "over.xlsx")

    assert [(p.row, p.column) for p in report.problems] == [(4, "金额（元）")]
    assert "Only 400.00 CNY" in report.problems[0].message
    assert LedgerEntry.objects.count() == 1
    assert ProjectFunding.objects.get(project=project).arrived == Decimal("100")
    rows[2][3] = "400"
    assert imports.import_ledger(xlsx(rows, headers=HEADERS[:4]), "over.xlsx").written


def test_a_row_the_service_refuses_at_write_time_rolls_back_the_whole_file():
    project = ProjectFactory(code="HZ-RACE")
    services.record_entry(
        project=project, type=ARRIVAL, date=datetime.date(2024, 1, 1), amount=Decimal("500")
    )
    rows = [["HZ-RACE", "到位", "2024-03-01", "1000"], ["HZ-RACE", "拨付", "2024-03-02", "1400"]]
    importer = imports.LedgerImporter()
    report = importer.check(read_table(xlsx(rows, headers=HEADERS[:4]), "race.xlsx"))
    assert report.ok
    # Between the check and the write, someone else disburses 500 of the same project's money.
    services.record_entry(
        project=project, type=DISBURSEMENT, date=datetime.date(2024, 1, 2), amount=Decimal("500")
    )

    importer.write(report)

    assert not report.written
    assert [(p.row, p.column) for p in report.problems] == [(3, "金额（元）")]
    assert LedgerEntry.objects.count() == 2  # the other two; the file's arrival rolled back
    totals = ProjectFunding.objects.get(project=project)
    assert (totals.arrived, totals.disbursed) == (Decimal("500"), Decimal("500"))


def test_unreadable_files_are_reported_not_raised():
    assert "not an Excel" in imports.import_ledger(b"not a zip", "x.xlsx").problems[0].message
    latin = "项目编号".encode("gb18030")
    assert "UTF-8" in imports.import_ledger(latin, "x.csv").problems[0].message
    assert imports.import_ledger(b"", "x.csv").problems[0].row == 1


def test_the_templates_download_and_reimport_cleanly_once_filled(client, hangzhou):
    project = ProjectFactory()
    client.force_login(staff_in("Finance officer"))

    xlsx_template = client.get("/en/admin/funding/ledgerentry/import/template.xlsx")
    csv_template = client.get("/en/admin/funding/ledgerentry/import/template.csv")

    assert xlsx_template.status_code == 200 and csv_template.status_code == 200
    assert "attachment" in xlsx_template["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(xlsx_template.content))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert imports.import_ledger(xlsx_template.content, "t.xlsx").problems  # no rows yet
    sheet.append([project.code, "到位", datetime.date(2024, 3, 1), 500, "HZ-FIN"])
    filled = io.BytesIO()
    workbook.save(filled)
    assert imports.import_ledger(filled.getvalue(), "t.xlsx").written

    assert csv_template.content.startswith("\ufeff".encode())
    text = csv_template.content.decode("utf-8-sig").strip().split(",")
    assert text == HEADERS
    filled_csv = csv_template.content + f"{project.code},拨付,2024-03-02,200,,,,\r\n".encode()
    assert imports.import_ledger(filled_csv, "t.csv").written
    totals = ProjectFunding.objects.get(project=project)
    assert (totals.arrived, totals.disbursed) == (Decimal("500"), Decimal("200"))


@pytest.fixture
def keep_the_test_connection(monkeypatch):
    # A command run from the command line closes every connection when it ends; the test's
    # transaction lives on one of them.
    monkeypatch.setattr(connections, "close_all", lambda: None)


@pytest.mark.usefixtures("keep_the_test_connection")
def test_the_command_exits_1_listing_the_problems_and_writes_nothing(tmp_path, capsys):
    ProjectFactory(code="HZ-CMD")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes(
            [["HZ-CMD", "拨付", "2024-03-01", "10", "", "", "", ""], ["HZ-X", "到位", "x", "1"]]
        )
    )

    with pytest.raises(SystemExit) as exit:
        execute_from_command_line(["manage.py", "import_ledger", str(bad)])

    assert exit.value.code == 1
    err = capsys.readouterr().err
    assert "row 2, 金额（元）" in err
    assert "HZ-X" in err
    assert "3 problem(s) in bad.csv; nothing was written." in err
    assert not LedgerEntry.objects.exists()


@pytest.mark.usefixtures("keep_the_test_connection")
def test_the_command_imports_a_good_file_with_a_dry_run_first(tmp_path, capsys, hangzhou):
    project = ProjectFactory()
    User.objects.create_user("clerk")
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(good_rows(project)))

    execute_from_command_line(["manage.py", "import_ledger", str(good), "--dry-run"])
    checked = capsys.readouterr()
    assert "4 entries would be imported" in checked.out
    assert not LedgerEntry.objects.exists()

    execute_from_command_line(["manage.py", "import_ledger", str(good), "--user", "clerk"])

    done = capsys.readouterr()
    assert "Imported 4 entries from good.xlsx" in done.out
    assert "row" in done.err  # the progress bar, on stderr
    assert LedgerEntry.objects.filter(recorded_by__username="clerk").count() == 4
    assert_good_import_written(project)


def test_the_admin_upload_page_reports_problems_then_imports(client, hangzhou):
    project = ProjectFactory(code="HZ-WEB")
    client.force_login(staff_in("Finance officer"))
    assert client.get(IMPORT).status_code == 200
    assert (
        'href="/en/admin/funding/ledgerentry/import/"'
        in client.get("/en/admin/funding/ledgerentry/").content.decode()
    )

    bad_rows = [["HZ-WEB", "到位", "2024-03-01", "100"], ["HZ-WEB", "拨付", "2024-03-02", "101"]]
    bad = client.post(
        IMPORT, {"file": SimpleUploadedFile("bad.xlsx", xlsx(bad_rows, headers=HEADERS[:4]))}
    )

    assert bad.status_code == 200
    html = bad.content.decode()
    assert "1 problem" in html and "Nothing was written" in html
    assert "<td>3</td><td>金额（元）</td>" in html
    assert not LedgerEntry.objects.exists()

    checked = client.post(
        IMPORT,
        {"file": SimpleUploadedFile("good.xlsx", xlsx(good_rows(project))), "dry_run": "on"},
    )
    assert "4 entries would be imported" in checked.content.decode()
    assert not LedgerEntry.objects.exists()

    done = client.post(
        IMPORT, {"file": SimpleUploadedFile("good.xlsx", xlsx(good_rows(project)))}, follow=True
    )

    assert done.redirect_chain[-1][0].endswith("/en/admin/funding/ledgerentry/")
    assert "Imported 4 entries from good.xlsx" in done.content.decode()
    assert_good_import_written(project)
    assert set(LedgerEntry.objects.values_list("recorded_by__username", flat=True)) == {
        "Finance-officer"
    }


def test_only_staff_who_may_add_entries_may_import(client):
    client.force_login(staff_in("Auditor"))

    assert client.get(IMPORT).status_code == 403
    assert client.get(f"{IMPORT}template.xlsx").status_code == 403


def test_an_arrival_above_the_planned_investment_refuses_the_whole_file():
    ProjectFactory(code="HZ-PLAN", planned_investment=Decimal("1000"))
    rows = [["HZ-PLAN", "到位", "2024-03-01", "600"], ["HZ-PLAN", "到位", "2024-03-02", "600"]]

    with translation.override("en"):
        report = imports.import_ledger(xlsx(rows, headers=HEADERS[:4]), "plan.xlsx")

    assert not report.written
    assert [p.row for p in report.problems] == [3]
    assert "above its planned investment of 1,000.00 CNY" in report.problems[0].message
    assert not LedgerEntry.objects.exists()
