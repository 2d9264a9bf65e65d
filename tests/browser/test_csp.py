"""Under the Content-Security-Policy, in a real Chromium: the showcase, the admin and the API docs
work and nothing they need is blocked; the charts keep their widths without inline styles."""

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from projects.models import Project
from second_factor.services import secret_of
from tests.browser.signin import code_from_secret, type_code, type_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def demo(demo_data):
    return Project.objects.filter(published=True)


@pytest.fixture
def clean_log(browser):
    browser.get_log("browser")  # reading the log empties it: start from nothing
    return browser


def csp_violations(browser) -> list[str]:
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


def drawn_share(browser, rect) -> float:
    """The rect's drawn width as a percentage of its SVG's."""
    return browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "const s = arguments[0].ownerSVGElement.getBoundingClientRect();"
        "return 100 * r.width / s.width;",
        rect,
    )


def test_showcase_pages_draw_their_charts_with_nothing_blocked(clean_log, live_server, demo):
    browser = clean_log
    browser.get(live_server.url + "/")

    rows = browser.find_elements(By.CSS_SELECTOR, '[data-chart="field"] tbody tr')
    counts = [int(row.find_element(By.CSS_SELECTOR, "[data-count]").text) for row in rows]
    assert rows and sum(counts) == demo.count()
    for row, count in zip(rows, counts, strict=True):
        bar = row.find_element(By.CSS_SELECTOR, "rect.bar")
        expected = round(100 * count / sum(counts))
        assert bar.get_attribute("width") == f"{expected}%"
        assert drawn_share(browser, bar) == pytest.approx(expected, abs=0.5)
        assert bar.value_of_css_property("fill") == "rgb(47, 127, 179)"

    project = demo.filter(indicators__actual__isnull=False).distinct().first()
    browser.get(f"{live_server.url}/projects/{project.code}/")
    bars = browser.find_elements(By.CSS_SELECTOR, '[role="progressbar"]')
    assert bars
    for bar in bars:
        fill = bar.find_element(By.CSS_SELECTOR, "rect.progress-fill")
        value = int(bar.get_attribute("aria-valuenow"))
        assert fill.get_attribute("width") == f"{value}%"
        assert drawn_share(browser, fill) == pytest.approx(value, abs=0.5)
        assert bar.size["height"] > 10

    browser.get(live_server.url + "/en/projects/")
    assert browser.find_elements(By.CSS_SELECTOR, "tbody tr[data-code]")

    assert csp_violations(browser) == []


def test_the_admin_works_under_the_policy(clean_log, live_server, demo):
    browser = clean_log
    dolma = get_user_model().objects.create_superuser("dolma", "dolma@example.org", PASSWORD)
    device = TOTPDevice.objects.create(user=dolma, name="authenticator", confirmed=True)

    type_password(browser, live_server.url, "dolma", PASSWORD)
    type_code(browser, code_from_secret(secret_of(device)))
    assert browser.find_element(By.ID, "user-tools").is_displayed()

    browser.get(live_server.url + "/en/admin/projects/project/")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == Project.objects.count()

    project = demo.filter(indicators__isnull=False, milestones__isnull=False).distinct().first()
    browser.get(f"{live_server.url}/en/admin/projects/project/{project.pk}/change/")
    assert browser.find_elements(By.CSS_SELECTOR, ".inline-group")
    # modeltranslation's language tabs come from jQuery UI, now served from our static files.
    assert browser.find_elements(By.CSS_SELECTOR, ".ui-tabs .ui-tabs-nav")

    browser.find_element(By.CSS_SELECTOR, ".field-programme .select2-selection").click()
    browser.find_element(By.CSS_SELECTOR, ".select2-search__field").send_keys(
        project.programme.code
    )
    WebDriverWait(browser, 10).until(
        lambda b: (
            project.programme.name_en
            in [o.text for o in b.find_elements(By.CSS_SELECTOR, ".select2-results__option")]
        )
    )

    assert csp_violations(browser) == []


@pytest.mark.urls("tests.test_security")
def test_the_split_api_docs_render_under_the_policy(clean_log, live_server, demo):
    browser = clean_log
    browser.get(live_server.url + "/split-docs/")

    title = WebDriverWait(browser, 15).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title")
    )
    assert "AidPortal API" in title[0].text
    assert browser.find_elements(By.CSS_SELECTOR, ".opblock")

    assert csp_violations(browser) == []
