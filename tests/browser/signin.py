"""Signing into the admin in the browser as staff do: password, then a code from the
authenticator, computed here from the device's secret as the app on a phone would."""

import time
from base64 import b32decode

from django_otp.oath import TOTP
from selenium.webdriver.common.by import By


def code_from_secret(secret: str, steps_ahead: int = 0) -> str:
    """The six digits an authenticator app shows for this base32 key (a code works once: a
    second sign-in within the same 30 seconds uses the next period's)."""
    totp = TOTP(b32decode(secret.replace(" ", "")))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def type_password(browser, base_url: str, username: str, password: str) -> None:
    browser.get(base_url + "/en/admin/login/")
    browser.find_element(By.ID, "id_username").send_keys(username)
    browser.find_element(By.ID, "id_password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, '#login-form [type="submit"]').click()


def type_code(browser, code: str) -> None:
    browser.find_element(By.ID, "id_code").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, '#second-factor-form [type="submit"]').click()
