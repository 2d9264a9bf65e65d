"""The funding figures as a visitor sees them, in a real Chromium: the home page and /funding/
show what the ledger gives, in both languages, and the policy blocks nothing they need."""

import pytest
from selenium.webdriver.common.by import By

from core.templatetags.portal import rate
from funding import selectors
from reference.models import Programme
from tests.browser.test_csp import csp_violations, drawn_share

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scope(demo_data):
    programme = Programme.objects.get(code="hangzhou-seni")
    return selectors.projects_in_scope(public=True, programme=programme)


@pytest.fixture
def clean_log(browser):
    browser.get_log("browser")  # reading the log empties it: start from nothing
    return browser


def stat(browser, name: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f'[data-stat="{name}"] .stat-value').text


def year_rows(browser) -> dict[str, dict]:
    rows = {}
    for row in browser.find_elements(By.CSS_SELECTOR, '[data-chart="years"] tbody tr'):
        rows[row.get_attribute("data-year")] = {
            "rate": row.find_element(By.CSS_SELECTOR, "[data-payment-rate]").text,
            "due": row.find_element(By.CSS_SELECTOR, "rect.bar-due"),
            "disbursed": row.find_element(By.CSS_SELECTOR, "rect.bar-disbursed"),
        }
    return rows


@pytest.mark.parametrize(
    ("prefix", "arrived", "disbursed"),
    [("", "3.0376亿元", "2.4845亿元"), ("/en", "CNY 303.76 million", "CNY 248.45 million")],
)
def test_home_shows_what_the_ledger_gives(
    clean_log, live_server, scope, prefix, arrived, disbursed
):
    browser = clean_log
    figures = selectors.totals(scope)
    years = selectors.year_rows(scope)

    browser.get(f"{live_server.url}{prefix}/")

    assert stat(browser, "funds-arrived") == arrived
    assert stat(browser, "funds-disbursed") == disbursed
    for name, share in (
        ("arrival", figures.arrival_rate),
        ("disbursement", figures.disbursement_rate),
    ):
        block = browser.find_element(By.CSS_SELECTOR, f'[data-rate="{name}"]')
        assert block.find_element(By.CSS_SELECTOR, ".rate-value").text == rate(share)
        fill = block.find_element(By.CSS_SELECTOR, "rect.progress-fill")
        assert drawn_share(browser, fill) == pytest.approx(float(share) * 100, abs=0.6)
    rows = year_rows(browser)
    assert sorted(rows) == [str(year.year) for year in years]
    assert rows["2023"]["rate"] == "134.0%"
    # The ledger runs to 2024: 2025 is not yet due.
    assert rows["2025"]["rate"] == ("未到期" if prefix == "" else "not yet due")
    largest = max(max(y.due, y.disbursed) for y in years)
    for year in years:
        row = rows[str(year.year)]
        disbursed = 0 if year.not_yet_due else year.disbursed
        assert drawn_share(browser, row["disbursed"]) == pytest.approx(
            float(disbursed / largest) * 100, abs=0.6
        )
        assert drawn_share(browser, row["due"]) == pytest.approx(
            float(year.due / largest) * 100, abs=0.6
        )
        assert row["due"].size["height"] > 5
    assert csp_violations(browser) == []


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_funding_page_shows_the_year_table_and_donations(clean_log, live_server, scope, prefix):
    browser = clean_log
    years = {str(y.year): y for y in selectors.year_rows(scope)}

    browser.get(f"{live_server.url}{prefix}/funding/")

    table = browser.find_elements(By.CSS_SELECTOR, '[data-table="years"] tbody tr')
    assert [row.get_attribute("data-year") for row in table] == sorted(years)
    for row in table:
        year = years[row.get_attribute("data-year")]
        cell = row.find_element(By.CSS_SELECTOR, "[data-disbursed]").text
        shown_rate = row.find_element(By.CSS_SELECTOR, "[data-payment-rate]").text
        if year.not_yet_due:
            assert cell == "—" and shown_rate == ("未到期" if prefix == "" else "not yet due")
        else:
            assert cell == f"¥{int(year.disbursed):,}"
            assert shown_rate == rate(year.payment_rate)
    assert "134.0%" in browser.find_element(By.CSS_SELECTOR, '[data-year="2023"]').text
    totals = selectors.donation_totals(selectors.donations(public=True))
    assert totals["goods_for_students"] == 6200000
    students = stat(browser, "donations-students")
    assert students == ("620万元" if prefix == "" else "CNY 6.2 million")
    nav = browser.find_element(By.CSS_SELECTOR, '.nav a[aria-current="page"]')
    assert nav.text == ("资金" if prefix == "" else "Funding")
    assert csp_violations(browser) == []
