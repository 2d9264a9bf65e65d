"""A visitor's view, in a real Chromium: the showcase in both languages, figures that match
the records, and the language switch."""

import re
from decimal import Decimal

import pytest
from django.db.models import Sum
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from projects.models import Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(demo_data):
    return Project.objects.filter(published=True)


def stat(browser, name: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, f'[data-stat="{name}"] .stat-value').text


def test_home_in_chinese_shows_the_recorded_totals(browser, live_server, demo):
    total = demo.aggregate(total=Sum("planned_investment"))["total"]
    assert total == Decimal("410050000.00")

    browser.get(live_server.url + "/")

    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-hans"
    assert stat(browser, "project-count") == str(demo.count()) == "19"
    assert stat(browser, "planned-investment") == "4.1005亿元"
    assert (
        "¥410,050,000"
        in browser.find_element(By.CSS_SELECTOR, '[data-stat="planned-investment"]').text
    )
    field_counts = {
        row.get_attribute("data-key"): int(row.find_element(By.CSS_SELECTOR, "[data-count]").text)
        for row in browser.find_elements(By.CSS_SELECTOR, '[data-chart="field"] tbody tr')
    }
    for field, count in field_counts.items():
        assert demo.filter(field=field).count() == count
    assert sum(field_counts.values()) == 19


def test_switching_to_english_keeps_the_page_and_the_figures(browser, live_server, demo):
    browser.get(live_server.url + "/")

    browser.find_element(By.CSS_SELECTOR, '.lang-switch a[data-lang="en"]').click()

    assert browser.current_url == live_server.url + "/en/"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert stat(browser, "project-count") == "19"
    assert stat(browser, "planned-investment") == "CNY 410.05 million"
    assert browser.find_element(By.CSS_SELECTOR, ".nav").text.split() == [
        "Home",
        "Projects",
        "Funding",
        "Medical",
        "aid",
        "Education",
        "Timeline",
        "Open",
        "data",
        "API",
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_project_page_shows_what_the_record_holds(browser, live_server, demo, language):
    project = demo.filter(beneficiaries=85).get()
    prefix = "" if language == "zh-hans" else "/en"

    browser.get(f"{live_server.url}{prefix}/projects/{project.code}/")

    title = project.title_zh_hans if language == "zh-hans" else project.title_en
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith(title)
    fact = browser.find_element(By.CSS_SELECTOR, '[data-fact="planned-investment"]').text
    assert f"¥{int(project.planned_investment):,}" in fact
    unit = "户" if language == "zh-hans" else "households"
    beneficiaries = browser.find_element(By.CSS_SELECTOR, '[data-fact="beneficiaries"]').text
    assert re.match(rf"85 ?{unit}", beneficiaries)
    assert (
        len(
            browser.find_elements(
                By.CSS_SELECTOR, "section[aria-labelledby=milestones] ol.timeline li"
            )
        )
        == project.milestones.count()
    )


def test_a_visitor_filters_projects_with_the_keyboard(browser, live_server, demo):
    browser.get(live_server.url + "/en/projects/")
    search = browser.find_element(By.ID, "id_q")

    search.send_keys("village", Keys.ENTER)
    # The results are the next page's: wait for it rather than read the one being left.
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("q=village"))
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(search))

    rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr[data-code]")
    expected = demo.filter(title_en__icontains="village").count()
    assert expected > 0
    assert len(rows) == expected
    assert f"{expected} project" in browser.find_element(By.CSS_SELECTOR, ".result-count").text
