"""The public funding figures: home, project pages, /funding/ and its CSV downloads, all computed
by funding.selectors from the ledger, and never counting unpublished projects."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from core.tables import write_csv
from core.templatetags.portal import rate
from funding import selectors, services
from funding.models import BudgetLine, Donation, LedgerEntry
from reference.models import Programme
from tests.factories import ProgrammeFactory, ProjectFactory

pytestmark = pytest.mark.django_db

ARRIVAL, DISBURSEMENT = LedgerEntry.Type.INCOMING_FUNDS, LedgerEntry.Type.DISBURSEMENT


def text_of(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def record(project, type, amount, date=datetime.date(2023, 3, 1), **kwargs):
    return services.record_entry(
        project=project, type=type, date=date, amount=Decimal(amount), **kwargs
    )


def body_of(response) -> bytes:
    """A download's bytes, whether it is streamed or not."""
    assert response.status_code == 200
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def read_csv(response) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = body_of(response).decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(body[1:])))


@pytest.fixture
def demo(demo_data):
    programme = Programme.objects.get(code="hangzhou-seni")
    return selectors.projects_in_scope(public=True, programme=programme)


@pytest.fixture
def programme():
    return ProgrammeFactory(code="hz-sn", name_zh_hans="杭州—色尼", name_en="Hangzhou–Seni")


@pytest.fixture
def ledger(programme):
    """A published project with money, and an unpublished one with much more."""
    shown = ProjectFactory(programme=programme, code="SHOWN", planned_investment=Decimal("2000"))
    BudgetLine.objects.create(project=shown, year=2023, amount=Decimal("500"))
    record(shown, ARRIVAL, "1500.50")
    record(shown, DISBURSEMENT, "670.00", date=datetime.date(2023, 6, 1))
    hidden = ProjectFactory(
        programme=programme, code="HIDDEN", published=False, planned_investment=Decimal("9000000")
    )
    BudgetLine.objects.create(project=hidden, year=2023, amount=Decimal("7000000"))
    record(hidden, ARRIVAL, "5000000")  # two tranches: larger arrivals wait for approval
    record(hidden, ARRIVAL, "3000000")
    record(hidden, DISBURSEMENT, "3000000", date=datetime.date(2023, 6, 1))
    return shown, hidden


# --- the demo: the report's figures on every page -----------------------------------------------


def test_home_shows_the_reported_figures_in_chinese(client, demo):
    page = text_of(client.get("/"))

    assert re.search(r'data-stat="funds-arrived".*?stat-value">3\.0376亿元<', page)
    assert re.search(r'data-stat="funds-disbursed".*?stat-value">2\.4845亿元<', page)
    assert "¥303,760,000" in page and "¥248,450,000" in page
    assert re.search(r'data-rate="arrival".*?74\.1%', page)
    assert re.search(r'data-rate="disbursement".*?81\.8%', page)
    assert re.search(r'data-year="2023".*?data-payment-rate>134\.0%<', page)
    assert "兑付率" in page
    # Reported figures keep their source's qualifier: 近11亿元, 3000余万元.
    assert "近11亿元" in page and "3000余万元" in page


def test_home_shows_the_same_figures_in_english(client, demo):
    page = text_of(client.get("/en/"))

    assert re.search(r'data-stat="funds-arrived".*?stat-value">CNY 303\.76 million<', page)
    assert re.search(r'data-stat="funds-disbursed".*?stat-value">CNY 248\.45 million<', page)
    assert re.search(r'data-year="2023".*?data-payment-rate>134\.0%<', page)
    assert "Due and disbursed by year" in page
    assert "nearly CNY 1.1 billion" in page and "over CNY 30 million" in page


def test_funding_page_has_the_year_table_and_the_definition(client, demo):
    page = text_of(client.get("/funding/"))

    assert re.search(
        r'data-table="years".*?data-year="2023".*?data-due>¥65,000,000<.*?'
        r"data-disbursed>¥87,100,000<.*?data-payment-rate>134\.0%<",
        page,
    )
    assert "可以超过100%" in page
    assert "3.0376亿元" in page
    assert re.search(r'data-stat="donations-total".*?stat-value">1135万元<', page)
    assert re.search(r'data-stat="donations-students".*?stat-value">620万元<', page)
    assert 'class="illus"' in page

    assert "牧民过冬物资" in page

    english = text_of(client.get("/en/funding/"))
    assert "It can exceed 100% when" in english
    assert "CNY 303.76 million" in english
    # Donations' purposes in the page's language.
    assert "Winter supplies for herders" in english and "牧民过冬物资" not in english


def test_years_csv_equals_the_selectors(client, demo):
    rows = read_csv(client.get("/funding/years.csv"))
    years = selectors.by_year(demo)

    assert list(rows[0]) == [
        "年度",
        "应付（元）",
        "到位（元）",
        "拨付（元）",
        "支出（元）",
        "兑付率（%）",
        "示意",
    ]
    assert len(rows) == len(years)
    for row, year in zip(rows, years, strict=True):
        values = list(row.values())
        assert int(values[0]) == year.year
        assert [Decimal(v) for v in values[1:5]] == [
            year.due,
            year.arrived,
            year.disbursed,
            year.spent,
        ]
        assert all(re.fullmatch(r"\d+\.\d\d", v) for v in values[1:5]), values
    row_2023 = next(row for row in rows if row["年度"] == "2023")
    assert row_2023["兑付率（%）"] == "134.0"
    assert sum(Decimal(row["到位（元）"]) for row in rows) == Decimal("303760000.00")


def test_projects_csv_equals_the_selectors(client, demo):
    rows = read_csv(client.get("/en/funding/projects.csv"))
    figures = dict(selectors.by_group(demo, "code"))

    assert len(rows) == 19
    for row in rows:
        expected = figures[row["Code"]]
        assert Decimal(row["Planned investment (CNY)"]) == expected.planned
        assert Decimal(row["Arrived (CNY)"]) == expected.arrived
        assert Decimal(row["Disbursed (CNY)"]) == expected.disbursed
        assert row["Illustrative"] == "true"
    assert sum(Decimal(r["Arrived (CNY)"]) for r in rows) == Decimal("303760000.00")
    assert sum(Decimal(r["Disbursed (CNY)"]) for r in rows) == Decimal("248450000.00")
    chinese = read_csv(client.get("/funding/projects.csv"))
    assert any("杭嘉新村" in row["项目"] for row in chinese)


def projects_csv_from_records(scope) -> bytes:
    """The projects download as it was written before it streamed: from model objects, the
    figures of `by_group` and the illustrative marks of every entry and budget line."""
    figures = dict(selectors.by_group(scope, "code"))
    projects = scope.projects()
    illustrative = set(
        LedgerEntry.objects.filter(project__in=projects, illustrative=True).values_list(
            "project_id", flat=True
        )
    ) | set(
        BudgetLine.objects.filter(project__in=projects, illustrative=True).values_list(
            "project_id", flat=True
        )
    )

    def percent(share):
        return rate(share).rstrip("%") if share is not None else ""

    def exact(value):
        return str(Decimal(value).quantize(Decimal("0.01")))

    rows = [
        [
            _("Code"),
            _("Project"),
            _("Field"),
            _("Category"),
            _("Plan period"),
            _("Planned investment (CNY)"),
            _("Arrived (CNY)"),
            _("Disbursed (CNY)"),
            _("Spent (CNY)"),
            _("Awaiting approval (CNY)"),
            _("Arrival rate (%)"),
            _("Disbursement rate (%)"),
            _("Illustrative"),
        ]
    ]
    for project in projects.select_related("plan_period").order_by("code"):
        row = figures[project.code]
        rows.append(
            [
                project.code,
                project.title,
                project.get_field_display(),
                project.get_category_display(),
                project.plan_period or "",
                exact(row.planned),
                exact(row.arrived),
                exact(row.disbursed),
                exact(row.spent),
                exact(row.pending),
                percent(row.arrival_rate),
                percent(row.disbursement_rate),
                str(
                    project.pk in illustrative or project.is_illustrative("planned_investment")
                ).lower(),
            ]
        )
    out = io.StringIO(newline="")
    out.write("\ufeff")
    write_csv(out, rows)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_streamed_projects_csv_has_the_bytes_written_from_the_records(client, demo, language):
    prefix = "" if language == "zh-hans" else "/en"
    response = client.get(f"{prefix}/funding/projects.csv")

    assert response.streaming
    with translation.override(language):
        expected = projects_csv_from_records(demo)
    assert body_of(response) == expected
    assert len(read_csv(client.get(f"{prefix}/funding/projects.csv"))) == 19


def test_a_project_titled_in_one_language_only_shows_that_title_in_both(client, ledger):
    shown, _hidden = ledger
    shown.title_zh_hans, shown.title_en = "仅中文标题", ""
    shown.save()

    (english,) = read_csv(client.get("/en/funding/projects.csv"))
    (chinese,) = read_csv(client.get("/funding/projects.csv"))

    assert english["Project"] == chinese["项目"] == "仅中文标题"


def test_project_page_shows_its_funding_bar(client, demo):
    project = demo.projects().get(code="HZSN-14-01")
    figures = selectors.project_totals(project)

    page = text_of(client.get(f"/en/projects/{project.code}/"))

    assert f"¥{int(figures.arrived):,}" in page
    assert f"¥{int(figures.disbursed):,}" in page
    assert re.search(r'data-funding="HZSN-14-01".*?role="progressbar"', page)
    assert re.search(r'data-rate="disbursement".*?89\.7%', page)  # 52 of 58 million


# --- rules, on small ledgers --------------------------------------------------------------------


def test_unpublished_projects_money_never_shows(client, ledger):
    shown, hidden = ledger
    Donation.objects.create(
        programme=shown.programme,
        date=datetime.date(2023, 1, 1),
        kind=Donation.Kind.MONEY,
        value=Decimal("777777"),
        donor_name="隐藏的捐赠方",
        purpose="secret",
        project=hidden,
    )

    for url in ("/", "/en/", "/funding/", "/en/funding/"):
        page = text_of(client.get(url))
        assert "¥1,500.50" in page, url
        assert "8,000,000" not in page and "800万元" not in page, url
        assert "777,777" not in page and "secret" not in page, url
    assert "HIDDEN" not in body_of(client.get("/funding/projects.csv")).decode()
    (year,) = read_csv(client.get("/en/funding/years.csv"))
    assert (year["Due (CNY)"], year["Arrived (CNY)"], year["Disbursed (CNY)"]) == (
        "500.00",
        "1500.50",
        "670.00",
    )
    assert year["Payment rate (%)"] == "134.0"
    assert client.get("/projects/HIDDEN/").status_code == 404


def test_public_pages_never_show_the_internal_approval_workflow(client, ledger, settings):
    shown, _hidden = ledger
    settings.FUNDING_APPROVAL_THRESHOLD = "100"
    record(shown, DISBURSEMENT, "200.00")

    for url in (f"/en/projects/{shown.code}/", "/en/funding/", "/en/", f"/projects/{shown.code}/"):
        page = text_of(client.get(url))
        assert re.search(r'data-stat="funds-disbursed".*?¥670<', page), url
        assert "awaits" not in page and "待复核" not in page and "¥200" not in page, url


def test_rates_without_a_denominator_show_a_dash(client, programme):
    ProjectFactory(programme=programme, planned_investment=Decimal("0"))

    page = text_of(client.get("/en/funding/"))

    assert re.search(r'data-rate="arrival".*?rate-value">—<', page)


def test_funding_page_without_any_programme_is_a_404(client):
    assert client.get("/funding/").status_code == 404
    assert client.get("/funding/years.csv").status_code == 404


def test_nav_marks_the_funding_page(client, ledger):
    page = text_of(client.get("/en/funding/"))

    assert re.search(r'<a href="/en/funding/" aria-current="page">Funding</a>', page)


@pytest.mark.parametrize("count", [3, 30])
def test_funding_page_query_count_is_bounded(
    client, programme, django_assert_max_num_queries, count
):
    for index in range(count):
        project = ProjectFactory(programme=programme)
        BudgetLine.objects.create(project=project, year=2022 + index % 3, amount=Decimal("10"))
        record(project, ARRIVAL, "100", illustrative=True)
        record(project, DISBURSEMENT, "40", illustrative=True)
        Donation.objects.create(
            programme=programme,
            date=datetime.date(2023, 1, 1),
            kind=Donation.Kind.GOODS,
            value=Decimal("5"),
            donor_name=f"donor {index}",
            purpose="books",
            beneficiaries="students",
        )

    # 12, then the grassroots and livelihood shares (two) and their plan periods' names (one).
    with django_assert_max_num_queries(15):
        client.get("/funding/")
    with django_assert_max_num_queries(6):
        body_of(client.get("/funding/projects.csv"))
    with django_assert_max_num_queries(6):
        client.get("/funding/years.csv")


@pytest.mark.parametrize(
    ("prefix", "due", "not_yet_due"),
    [("", "6500万元", "未到期"), ("/en", "CNY 65 million", "not yet due")],
)
def test_the_payment_rate_chart_shows_what_was_due(client, demo, prefix, due, not_yet_due):
    page = text_of(client.get(f"{prefix}/"))

    # 134% can be checked: 87.1 million disbursed against 65 million due.
    assert re.search(
        rf'data-chart="years".*?data-year="2023".*?data-due="65000000.00">{due}<.*?'
        r"data-payment-rate>134\.0%<",
        page,
    )
    # The ledger runs to 2024: 2025 is not yet due, not "0 … 0.0%".
    row = re.search(r'<tr data-year="2025" data-not-yet-due>.*?</tr>', page).group(0)
    assert f"data-payment-rate>{not_yet_due}<" in row and "0.0%" not in row


def test_the_spent_column_is_explained_when_nothing_is_spent(client, demo):
    page = text_of(client.get("/en/funding/"))

    assert "data-spent" not in page and ">Spent<" not in page
    assert 'data-note="spent"' in page and "No expenditure" in page
    assert re.search(r'data-year="2025" data-not-yet-due>.*?data-payment-rate>not yet due<', page)


FORMULAS = ['=HYPERLINK("http://x.test","x")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_csv_downloads_neutralise_formulas_and_keep_numbers(client, ledger, programme):
    shown, _hidden = ledger
    shown.title_en = FORMULAS[0]
    shown.save()
    for number, text in enumerate(FORMULAS[1:]):
        ProjectFactory(programme=programme, code=f"F{number}", title_en=text)

    rows = read_csv(client.get("/en/funding/projects.csv"))

    titles = {row["Code"]: row["Project"] for row in rows}
    assert titles["SHOWN"] == "'" + FORMULAS[0]
    assert [titles[f"F{n}"] for n in range(5)] == ["'" + text for text in FORMULAS[1:]]
    shown_row = next(row for row in rows if row["Code"] == "SHOWN")
    assert shown_row["Arrived (CNY)"] == "1500.50"  # numbers stay numbers
    assert shown_row["Disbursed (CNY)"] == "670.00"
