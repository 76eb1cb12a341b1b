"""The issue pages in a real browser (Debian's headless Chromium, as the admin UI's test): create
from the `c` dialog, filter and search the list (the URL follows), comment in Markdown, drag a card
to another column; axe-core checks the list, the board and the issue page for serious or critical
accessibility problems. Screenshots of each page go to artifacts/web/ (gitignored).

Without Chromium the test is skipped with the reason, except under CI=true (see
tests/accounts/test_admin_browser.py). axe-core comes from the npm registry with the web app's
other browser libraries (frontend/package.json, `make vendor`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from praisonai_platform.core.clock import utcnow
from praisonai_platform.db import get_engine, session_scope
from praisonai_platform.db.models import User
from tests.accounts.test_admin_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    HEADLESS_FLAGS,
    chromium_or_skip,
)
from tests.factories import PASSWORD, password_hash
from tests.live.conftest import LiveServer, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "artifacts" / "web"
EMAIL = "ada@example.com"


@pytest.fixture
def chrome(tmp_path: Path) -> Iterator[WebDriver]:
    chromium_or_skip()
    if not AXE.exists():
        reason = f"needs axe-core ({AXE} missing; `make vendor` installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*HEADLESS_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "driver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
async def server(db_url: str, tmp_path: Path) -> AsyncIterator[LiveServer]:
    get_engine(db_url)
    async with session_scope() as session:
        session.add(
            User(name="ada", email=EMAIL, password_hash=password_hash(), email_verified_at=utcnow())
        )
    live = start_server(db_url, tmp_path / "server.log")
    try:
        yield live
    finally:
        stop_server(live)


def api_setup(base_url: str) -> dict[str, Any]:
    """A workspace with an agent, a label and one issue, made through the API."""
    with httpx.Client(base_url=base_url, timeout=30) as api:
        login = api.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        workspace = api.post(
            "/api/v1/workspaces/",
            json={"name": "Engineering", "issue_prefix": "ENG"},
            headers=headers,
        ).json()
        base = f"/api/v1/workspaces/{workspace['id']}"
        api.post(f"{base}/agents", json={"name": "Builder"}, headers=headers)
        api.post(f"{base}/labels", json={"name": "bug", "color": "#d73a4a"}, headers=headers)
        made = api.post(f"{base}/issues/", json={"title": "Paint the shed"}, headers=headers)
        assert made.status_code == 201, made.text
        return {"workspace": workspace, "headers": headers, "base": base}


def issue_status(base_url: str, setup: dict[str, Any], key: str) -> str:
    with httpx.Client(base_url=base_url, timeout=30) as api:
        answer = api.get(f"{setup['base']}/issues/{key}", headers=setup["headers"])
        return str(answer.json()["status"])


def card_status(driver: WebDriver, key: str) -> str | None:
    """The column a card is drawn for, once saved (read in the page: saving replaces it)."""
    status = driver.execute_script(
        "const card = document.querySelector(`[data-key='${arguments[0]}']`);"
        "return card && !card.classList.contains('saving') ? card.dataset.status : null;",
        key,
    )
    return None if status is None else str(status)


def screenshot(driver: WebDriver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def serious_violations(driver: WebDriver) -> list[str]:
    """axe-core's serious and critical findings on the page, as `rule: target` lines."""
    driver.execute_script(AXE.read_text())
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done([{id: 'axe-error', impact: 'critical',"
        " nodes: [{target: [String(e)]}]}]));"
    )
    return [
        f"{v['id']}: {', '.join(str(t) for n in v['nodes'] for t in n['target'])}"
        for v in violations
        if v.get("impact") in ("serious", "critical")
    ]


def loaded(driver: WebDriver) -> None:
    WebDriverWait(driver, 20).until(
        lambda page: page.execute_script("return document.readyState") == "complete"
    )


@pytest.mark.sqlite_only  # see tests/web/browser.py: one backend per browser test
def test_issue_flows_in_a_browser(chrome: WebDriver, server: LiveServer) -> None:
    base = server.base_url
    setup = api_setup(base)
    slug = setup["workspace"]["slug"]
    wait = WebDriverWait(chrome, 20)
    try:
        chrome.get(f"{base}/sign-in?next=/w/{slug}/issues")
        chrome.find_element(By.NAME, "email").send_keys(EMAIL)
        chrome.find_element(By.NAME, "password").send_keys(PASSWORD + Keys.ENTER)
        wait.until(expected_conditions.url_to_be(f"{base}/w/{slug}/issues"))
        loaded(chrome)

        # `c` opens the quick create dialog.
        chrome.find_element(By.TAG_NAME, "body").send_keys("c")
        dialog = wait.until(
            expected_conditions.visibility_of_element_located((By.ID, "create-issue"))
        )
        dialog.find_element(By.NAME, "title").send_keys("Printer on fire")
        dialog.find_element(By.NAME, "description").send_keys("Smoke **everywhere**")
        Select(dialog.find_element(By.NAME, "priority")).select_by_value("urgent")
        Select(dialog.find_element(By.NAME, "assignee")).select_by_visible_text("Builder")
        screenshot(chrome, "create-dialog")
        dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(expected_conditions.url_to_be(f"{base}/w/{slug}/issues/ENG-2"))
        assert chrome.find_element(By.ID, "issue-title").text == "Printer on fire"
        assert chrome.find_element(By.CSS_SELECTOR, "#issue-description strong").text == (
            "everywhere"
        )

        # Comment in Markdown.
        chrome.find_element(By.ID, "new-comment").send_keys("Call the **fire brigade**")
        chrome.find_element(By.CSS_SELECTOR, ".comment-form button[type=submit]").click()
        strong = wait.until(
            expected_conditions.presence_of_element_located(
                (By.CSS_SELECTOR, ".comment-body strong")
            )
        )
        assert strong.text == "fire brigade"
        loaded(chrome)
        screenshot(chrome, "issue-page")
        assert serious_violations(chrome) == []

        # Filter and search the list: the results change in place and the URL follows.
        chrome.get(f"{base}/w/{slug}/issues")
        loaded(chrome)
        assert len(chrome.find_elements(By.CSS_SELECTOR, "[data-issue-row]")) == 2
        chrome.find_element(By.TAG_NAME, "body").send_keys("/")
        search = chrome.switch_to.active_element
        assert search.get_attribute("id") == "issue-q"
        search.send_keys("printer")
        wait.until(lambda page: "q=printer" in page.current_url)
        wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "[data-issue-row]")) == 1)
        assert "Printer on fire" in chrome.find_element(By.ID, "issue-results").text
        search.clear()
        search.send_keys(Keys.BACKSPACE)
        wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "[data-issue-row]")) == 2)
        chrome.find_element(By.XPATH, "//details[.//input[@name='priority']]/summary").click()
        chrome.find_element(By.CSS_SELECTOR, "input[name=priority][value=urgent]").click()
        wait.until(lambda page: "priority=urgent" in page.current_url)
        wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "[data-issue-row]")) == 1)
        # j selects the first row, Enter opens it.
        chrome.find_element(By.TAG_NAME, "body").click()
        chrome.find_element(By.TAG_NAME, "body").send_keys("j")
        screenshot(chrome, "issue-list")
        assert serious_violations(chrome) == []
        # The URL alone brings the same view back.
        chrome.get(chrome.current_url)
        loaded(chrome)
        rows = chrome.find_elements(By.CSS_SELECTOR, "[data-issue-row]")
        assert [row.text.split()[0] for row in rows] == ["ENG-2"]

        # Drag a card to another column.
        chrome.get(f"{base}/w/{slug}")
        loaded(chrome)
        card = chrome.find_element(By.CSS_SELECTOR, '[data-key="ENG-1"]')
        target = chrome.find_element(By.CSS_SELECTOR, '.board-cards[data-status="in-progress"]')
        actions = ActionChains(chrome, duration=50)
        actions.click_and_hold(card).move_by_offset(5, 5).pause(0.2)
        actions.move_to_element(target).pause(0.2).move_by_offset(0, 5).pause(0.2).release()
        actions.perform()
        wait.until(lambda page: card_status(page, "ENG-1") == "in-progress")
        moved = chrome.find_element(By.CSS_SELECTOR, '[data-key="ENG-1"]')
        assert moved.get_attribute("data-version") == "2"
        assert issue_status(base, setup, "ENG-1") == "in-progress"
        screenshot(chrome, "board")
        assert serious_violations(chrome) == []
        # Without dragging: the card's Move button and the dialog, by keyboard.
        button = chrome.find_element(By.CSS_SELECTOR, '[data-key="ENG-2"] [data-move-card]')
        button.send_keys(Keys.ENTER)
        status = wait.until(
            expected_conditions.visibility_of_element_located((By.ID, "move-card-status"))
        )
        Select(status).select_by_value("done")
        chrome.find_element(By.CSS_SELECTOR, "#move-card button[type=submit]").click()
        wait.until(lambda page: card_status(page, "ENG-2") == "done")
        assert issue_status(base, setup, "ENG-2") == "done"

        # At 360 px wide nothing makes the page itself scroll sideways (the board scrolls
        # inside its own box).
        chrome.set_window_size(360, 800)
        for name, path in (
            ("board-narrow", f"/w/{slug}"),
            ("issue-list-narrow", f"/w/{slug}/issues"),
            ("issue-page-narrow", f"/w/{slug}/issues/ENG-2"),
            ("projects-narrow", f"/w/{slug}/projects"),
            ("my-work-narrow", f"/w/{slug}/my-work"),
        ):
            chrome.get(base + path)
            loaded(chrome)
            screenshot(chrome, name)
            width = chrome.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert width[0] <= width[1], (path, width)

        # The dark theme follows the system, with enough contrast too.
        chrome.set_window_size(1400, 1000)
        chrome.execute_cdp_cmd(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
        )
        for name, path in (
            ("issue-page-dark", f"/w/{slug}/issues/ENG-2"),
            ("board-dark", f"/w/{slug}"),
        ):
            chrome.get(base + path)
            loaded(chrome)
            screenshot(chrome, name)
            assert serious_violations(chrome) == [], name
    except Exception:
        screenshot(chrome, "failure")
        print(f"server log:\n{server.log()}")
        raise
