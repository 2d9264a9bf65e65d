"""In Chromium: a superuser's first sign-in enrols an authenticator (the key read off the page,
the code computed from it), shows the recovery codes once and reaches the admin; the next
sign-in asks for a code. Nothing the Content-Security-Policy blocks."""

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.by import By

from tests.browser.signin import code_from_secret, type_code, type_password
from tests.browser.test_csp import csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_first_sign_in_enrols_then_the_next_asks_for_a_code(browser, live_server):
    browser.get_log("browser")  # start with an empty console
    get_user_model().objects.create_superuser("dolma", "dolma@example.org", PASSWORD)

    type_password(browser, live_server.url, "dolma", PASSWORD)

    qr = browser.find_element(By.CSS_SELECTOR, ".qr svg.qr-code")  # waits for the page
    assert "/en/admin/second-factor/enrol/" in browser.current_url
    assert qr.is_displayed() and qr.size["width"] >= 100
    secret = browser.find_element(By.CSS_SELECTOR, "[data-secret]").text
    type_code(browser, code_from_secret(secret))

    codes = browser.find_elements(By.CSS_SELECTOR, ".recovery-codes code")
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user__username="dolma").confirmed
    browser.find_element(By.LINK_TEXT, "Continue").click()
    assert browser.find_element(By.ID, "user-tools").is_displayed()
    assert browser.current_url == live_server.url + "/en/admin/"
    assert browser.find_element(By.CSS_SELECTOR, "#content h1").text == "Records"

    browser.find_element(By.CSS_SELECTOR, "#logout-form [type='submit']").click()
    browser.find_element(By.LINK_TEXT, "Log in again")  # waits until the sign-out is done
    type_password(browser, live_server.url, "dolma", PASSWORD)

    browser.find_element(By.ID, "second-factor-form")
    assert "/en/admin/second-factor/" in browser.current_url
    assert "Enter your code" in browser.title
    assert not browser.find_elements(By.ID, "user-tools")
    type_code(browser, code_from_secret(secret, steps_ahead=1))
    assert browser.find_element(By.ID, "user-tools").is_displayed()

    assert csp_violations(browser) == []
