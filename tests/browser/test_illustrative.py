"""Illustrative values in a real Chromium: one notice per section, no marker in the cells until
the reader turns the switch on (a checkbox and the stylesheet, no script), then every one."""

import pytest
from selenium.webdriver.common.by import By

from projects.models import Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shown(browser, selector: str) -> int:
    return sum(
        element.is_displayed() for element in browser.find_elements(By.CSS_SELECTOR, selector)
    )


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_the_switch_marks_the_illustrative_cells(browser, live_server, demo_data, prefix):
    marked = sum(
        project.is_illustrative("planned_investment")
        for project in Project.objects.filter(published=True)
    )
    assert marked > 1

    browser.get(f"{live_server.url}{prefix}/projects/")

    # One notice for the table instead of a chip in every cell.
    assert shown(browser, ".illus-notice") == 1
    assert shown(browser, ".project-table .illus") == 0

    browser.find_element(By.CSS_SELECTOR, ".illus-notice .illus-toggle").click()

    assert shown(browser, ".project-table .illus") >= marked
    cell = browser.find_element(By.XPATH, "//td[span[contains(@class, 'illus')]]")
    assert cell.value_of_css_property("background-color") == "rgba(255, 244, 224, 1)"
