"""The account and workspace pages in a real browser (headless Chromium on a live server):
sign up, sign in, create a workspace, the settings pages (labels, agents, an API key shown
once), invite someone who accepts; every page checked with axe-core in the light and the dark
theme, at desktop width and at 360 px. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine
from tests.factories import PASSWORD, new_user
from tests.live.conftest import LiveServer, start_server, stop_server
from tests.web.browser import (  # noqa: F401  (the chromium fixture)
    assert_accessible,
    assert_fits,
    chromium,
    next_page,
    page_loaded,
    screenshot,
    set_dark,
)
from tests.web.conftest import verify_email

HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(db_url, tmp_path / "server.log")
    try:
        yield live
    finally:
        stop_server(live)


def go(driver: WebDriver, url: str) -> None:
    driver.get(url)
    page_loaded(driver)


def submit(driver: WebDriver, form_css: str) -> None:
    """Press the form's button and wait for the next page."""
    button = driver.find_element(By.CSS_SELECTOR, f"{form_css} button[type=submit]")
    next_page(driver, button.click)


def check(driver: WebDriver, name: str) -> None:
    """Screenshot the page and check it with axe-core, light and dark."""
    assert driver.title != "pwned"
    screenshot(driver, name)
    assert_accessible(driver, name)
    set_dark(driver, True)
    assert_accessible(driver, f"{name} (dark)")
    screenshot(driver, f"{name}-dark")
    set_dark(driver, False)


def sign_in(driver: WebDriver, base: str, email: str, password: str) -> None:
    go(driver, f"{base}/sign-in")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    submit(driver, "form[action='/sign-in']")


@pytest.mark.sqlite_only  # see tests/web/browser.py: one backend per browser test
async def test_sign_up_create_a_workspace_settings_and_an_invitation(
    chromium: WebDriver,  # noqa: F811
    server: LiveServer,
    db_url: str,
    backend: str,
    tmp_path: Path,
) -> None:
    driver, base = chromium, server.base_url
    wait = WebDriverWait(driver, 30)
    get_engine(db_url)
    invitee = await new_user(ServerSettings(jwt_secret="x" * 40), "invitee")
    await verify_email(invitee)
    prefix = f"web-{backend}"
    try:
        # `/` sends a stranger to sign in; from there, sign up.
        go(driver, f"{base}/")
        assert driver.current_url == f"{base}/sign-in"
        check(driver, f"{prefix}-sign-in")
        # The pages of the account mails' links.
        for page in ("forgot-password", "reset-password?token=t", "verify-email?token=t"):
            go(driver, f"{base}/{page}")
            check(driver, f"{prefix}-{page.split('?')[0]}")
        go(driver, f"{base}/sign-in")
        next_page(driver, driver.find_element(By.LINK_TEXT, "Create an account").click)
        check(driver, f"{prefix}-sign-up")
        driver.find_element(By.ID, "email").send_keys("grace@example.com")
        driver.find_element(By.ID, "name").send_keys("grace")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        submit(driver, "form[action='/sign-up']")
        assert "Check your email" in driver.find_element(By.CSS_SELECTOR, ".notice").text
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        submit(driver, "form[action='/sign-in']")
        wait.until(expected_conditions.url_to_be(f"{base}/workspaces/new"))
        check(driver, f"{prefix}-new-workspace")

        # Create a workspace; its settings.
        driver.find_element(By.ID, "name").send_keys("Acme " + HOSTILE)
        driver.find_element(By.ID, "issue_prefix").send_keys("ACME")
        submit(driver, "form[action='/workspaces']")
        wait.until(expected_conditions.url_contains("/w/acme-img-src-x"))
        slug = driver.current_url.split("/w/", 1)[1].split("/", 1)[0].split("?", 1)[0]
        settings = f"{base}/w/{slug}/settings"
        go(driver, f"{settings}/general")
        assert HOSTILE in driver.find_element(By.ID, "name").get_attribute("value")
        check(driver, f"{prefix}-settings-general")

        go(driver, f"{settings}/labels")
        driver.find_element(By.ID, "label-name").send_keys("bug " + HOSTILE)
        submit(driver, "form[action$='/settings/labels']")
        assert HOSTILE in driver.find_element(By.CSS_SELECTOR, ".label-name").text
        check(driver, f"{prefix}-settings-labels")

        go(driver, f"{settings}/agents")
        driver.find_element(By.ID, "agent-name").send_keys("Builder " + HOSTILE)
        submit(driver, "form[action$='/settings/agents']")
        assert "Builder " + HOSTILE in driver.find_element(By.CSS_SELECTOR, "tbody").text
        check(driver, f"{prefix}-settings-agents")

        go(driver, f"{settings}/api-keys")
        driver.find_element(By.ID, "key-label").send_keys("ci")
        assert driver.find_element(By.NAME, "write").is_selected()  # read and write by default
        submit(driver, "form[action$='/settings/api-keys']")
        secret = driver.find_element(By.ID, "new-key").text
        assert secret.startswith("ppk_")
        driver.find_element(By.CSS_SELECTOR, "[data-copy='#new-key']").click()
        check(driver, f"{prefix}-settings-api-key-created")
        go(driver, f"{settings}/api-keys")
        assert secret not in driver.page_source

        go(driver, f"{settings}/members")
        driver.find_element(By.ID, "invite-email").send_keys(invitee.email)
        Select(driver.find_element(By.ID, "invite-role")).select_by_value("admin")
        submit(driver, "form[action$='/settings/invitations']")
        assert invitee.email in driver.find_element(By.TAG_NAME, "main").text
        check(driver, f"{prefix}-settings-members")

        # At 360 px wide nothing overflows and the pages still pass.
        driver.set_window_size(360, 800)
        for section in ("members", "api-keys"):
            go(driver, f"{settings}/{section}")
            assert_fits(driver, section)
            assert_accessible(driver, f"{section} at 360 px")
            screenshot(driver, f"{prefix}-settings-{section}-360")
        driver.set_window_size(1280, 900)

        # Sign out; the invitee signs in and accepts.
        go(driver, f"{settings}/members")
        submit(driver, "form.signout")
        wait.until(expected_conditions.url_to_be(f"{base}/sign-in"))
        sign_in(driver, base, invitee.email, PASSWORD)
        go(driver, f"{base}/invitations")
        check(driver, f"{prefix}-invitations")
        next_page(driver, driver.find_element(By.LINK_TEXT, "Answer").click)
        check(driver, f"{prefix}-invitation")
        submit(driver, "form[action$='/accept']")
        wait.until(expected_conditions.url_contains(f"/w/{slug}"))
        go(driver, f"{settings}/general")  # an admin now
        assert driver.find_element(By.ID, "issue_prefix").get_attribute("value") == "ACME"

        # The API's documentation renders from the server's own assets (this machine has no
        # way to the internet's CDNs).
        driver.get(f"{base}/docs")
        title = wait.until(
            expected_conditions.visibility_of_element_located(
                (By.CSS_SELECTOR, ".swagger-ui .info .title")
            )
        )
        assert "praisonai-platform" in title.text
        wait.until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock-tag"))
        )
        screenshot(driver, f"{prefix}-api-docs")
    except Exception:
        driver.save_screenshot(str(tmp_path / "failure.png"))
        print(f"screenshot: {tmp_path / 'failure.png'}\nserver log:\n{server.log()}")
        raise
