"""What a reader sees while an XLSX is being prepared fits a phone: the 202 page (both languages,
the previous file's link) and the /data/ page with counts as of an earlier time and datasets
still being counted, at 360 and 390 px, in Chromium against a live server."""

import pytest

from opendata import exports
from tests.browser.conftest import browser  # noqa: F401  (the fixture)
from tests.browser.test_phone import OVERFLOW_JS, PHONES, resize
from tests.factories import ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def stale(queued_only):
    """A projects file built, then a change: the file is being prepared; nothing else is built."""
    ProjectFactory(title_en="A project with a long English title that wraps on a phone")
    exports.build("projects")
    ProjectFactory()


@pytest.mark.parametrize("page", ["/data/projects.xlsx", "/data/", "/en/data/"])
def test_a_file_being_prepared_does_not_scroll_sideways_on_a_phone(
    browser,  # noqa: F811
    live_server,
    stale,
    page,
):
    try:
        for width in PHONES:
            resize(browser, width)
            browser.get(live_server.url + page)
            text = browser.find_element("tag name", "main").text

            scroll_width, viewport, culprits = browser.execute_script(OVERFLOW_JS)

            assert viewport == width
            assert scroll_width <= viewport, f"{scroll_width - viewport} px too wide: {culprits}"
            if page.endswith(".xlsx"):
                assert "文件正在生成" in text and "Download the previous file" in text
            else:
                assert "正在统计" in text or "being counted" in text
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
