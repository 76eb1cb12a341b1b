"""The admin UI in a real browser: headless Chromium (Debian's chromium and chromium-driver)
against a live server on loopback. An admin made with `praisonai-platform user create --admin`
signs in and opens the issues view; a non-admin is refused.

Without Chromium the test is skipped with the reason, except under CI=true, where that is a
failure (`make browser` installs it; `make test` does so under CI=true).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from typer.testing import CliRunner

from praisonai_platform.cli.app import app
from tests.live.conftest import LiveServer, start_server, stop_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
ADMIN = ("root@example.com", "admin password 1")
MEMBER = ("member@example.com", "member password 1")


def chromium_or_skip() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        reason = (
            f"needs Debian's chromium and chromium-driver ({', '.join(missing)} missing; "
            "`make browser` installs them)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true needs the browser test to run: {reason}")
        pytest.skip(reason)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    chromium_or_skip()
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*HEADLESS_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "driver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    runner = CliRunner()
    for (email, password), extra in ((ADMIN, ["--admin"]), (MEMBER, [])):
        result = runner.invoke(
            app,
            ["user", "create", "--email", email, "--password", password, "--database-url",
             db_url, *extra],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    live = start_server(db_url, tmp_path / "server.log")
    try:
        yield live
    finally:
        stop_server(live)


def make_an_issue(base_url: str, title: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as api:
        login = api.post("/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        workspace = api.post("/api/v1/workspaces/", json={"name": "Ops"}, headers=headers)
        issue = api.post(
            f"/api/v1/workspaces/{workspace.json()['id']}/issues/",
            json={"title": title},
            headers=headers,
        )
        assert issue.status_code == 201, issue.text


def sign_in(browser: WebDriver, base_url: str, email: str, password: str) -> None:
    browser.get(f"{base_url}/admin/")
    wait = WebDriverWait(browser, 20)
    wait.until(expected_conditions.url_contains("/admin/login"))
    browser.find_element(By.NAME, "username").send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda page: page.execute_script("return document.readyState") == "complete")


def test_an_admin_signs_in_and_opens_the_issues_view_a_member_is_refused(
    browser: WebDriver, server: LiveServer, tmp_path: Path
) -> None:
    make_an_issue(server.base_url, "Printer on fire")
    wait = WebDriverWait(browser, 20)
    try:
        sign_in(browser, server.base_url, *ADMIN)
        wait.until(expected_conditions.url_to_be(f"{server.base_url}/admin/"))
        browser.find_element(By.CSS_SELECTOR, "a[href$='/admin/issue/list']").click()
        wait.until(expected_conditions.url_contains("/admin/issue/list"))
        wait.until(
            expected_conditions.text_to_be_present_in_element(
                (By.TAG_NAME, "body"), "Printer on fire"
            )
        )
        browser.get(f"{server.base_url}/admin/logout")
        wait.until(expected_conditions.url_contains("/admin/login"))

        sign_in(browser, server.base_url, *MEMBER)
        assert browser.current_url.endswith("/admin/login")
        assert "not an administrator" in browser.find_element(By.ID, "login-error").text
        browser.get(f"{server.base_url}/admin/issue/list")
        wait.until(expected_conditions.url_contains("/admin/login"))
        assert "Printer on fire" not in browser.page_source
    except Exception:
        browser.save_screenshot(str(tmp_path / "failure.png"))
        print(f"screenshot: {tmp_path / 'failure.png'}\nserver log:\n{server.log()}")
        raise
