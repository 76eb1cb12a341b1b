"""Forms in a real browser (headless Chromium on a live server): a sent form's submit button is
disabled while its request is on its way, so a double click sends it once; a form whose sending
was cancelled (a declined confirmation) keeps its button, and a page shown again from the
browser's history gets its buttons back.

The page that sent the form is gone once the answer arrives, so it writes down, as it is left
(`pagehide`), whether its button was disabled; the next page reads that back.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import PASSWORD
from tests.live.conftest import LiveServer
from tests.web.browser import chromium, next_page, page_loaded  # noqa: F401  (chromium)
from tests.web.test_issue_browser import EMAIL, api_setup, server  # noqa: F401  (server)

DELEGATE_BUTTON = "form[action$='/delegate'] button[type=submit]"
DELETE_BUTTON = "form[action$='/delete'][data-confirm] button[type=submit]"
NOTE_AS_LEFT = """
const button = document.querySelector(arguments[0]);
window.addEventListener("pagehide", function () {
  sessionStorage.setItem("button-as-left", button.disabled ? "disabled" : "enabled");
});
"""
SUBMIT_EVENT = """
document.querySelector(arguments[0]).form.dispatchEvent(
  new Event("submit", {bubbles: true, cancelable: true}));
"""
SHOWN_FROM_HISTORY = """
window.dispatchEvent(new PageTransitionEvent("pageshow", {persisted: true}));
"""


def disabled(driver: WebDriver, css: str) -> bool:
    return bool(driver.execute_script("return document.querySelector(arguments[0]).disabled", css))


def runs(base: str, setup: dict[str, Any]) -> list[dict[str, Any]]:
    with httpx.Client(base_url=base, timeout=30) as api:
        answer = api.get(f"{setup['base']}/runs", headers=setup["headers"])
        assert answer.status_code == 200, answer.text
        listed: list[dict[str, Any]] = answer.json()
        return listed


@pytest.mark.postgres_only  # see tests/web/browser.py: one backend per browser test
def test_a_sent_form_disables_its_button_until_the_next_page(
    chromium: WebDriver,  # noqa: F811
    server: LiveServer,  # noqa: F811
) -> None:
    driver, base = chromium, server.base_url
    setup = api_setup(base)
    slug = setup["workspace"]["slug"]
    issue_url = f"{base}/w/{slug}/issues/ENG-1"
    wait = WebDriverWait(driver, 30)
    driver.get(f"{base}/sign-in?next=/w/{slug}/issues/ENG-1")
    page_loaded(driver)
    driver.find_element(By.NAME, "email").send_keys(EMAIL)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type=submit]").click()
    wait.until(expected_conditions.url_to_be(issue_url))
    page_loaded(driver)

    # A declined confirmation sends nothing, and the button stays usable.
    driver.execute_script("window.confirm = function () { return false; };")
    driver.find_element(By.CSS_SELECTOR, DELETE_BUTTON).click()
    time.sleep(0.3)
    assert driver.current_url == issue_url and not disabled(driver, DELETE_BUTTON)

    # A page the browser shows again from its history (the back-forward cache) gets its buttons
    # back. (A submit event alone sends nothing: the page stays to be looked at.)
    driver.execute_script(SUBMIT_EVENT, DELEGATE_BUTTON)
    wait.until(lambda page: disabled(page, DELEGATE_BUTTON))
    driver.execute_script(SHOWN_FROM_HISTORY)
    assert not disabled(driver, DELEGATE_BUTTON)

    driver.execute_script(NOTE_AS_LEFT, DELEGATE_BUTTON)
    button = driver.find_element(By.CSS_SELECTOR, DELEGATE_BUTTON)
    next_page(driver, ActionChains(driver).double_click(button).perform)
    assert driver.current_url.startswith(f"{issue_url}#run-")
    assert driver.execute_script("return sessionStorage.getItem('button-as-left')") == "disabled"
    assert len(runs(base, setup)) == 1
    # The next page's form is a new form: it may be sent; so is the sent one, gone back to.
    assert not disabled(driver, DELEGATE_BUTTON)
    driver.back()
    wait.until(expected_conditions.url_to_be(issue_url))
    page_loaded(driver)
    assert not disabled(driver, DELEGATE_BUTTON)
