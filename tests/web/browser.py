"""Shared by the web app's browser tests: headless Chromium (Debian's chromium and
chromium-driver, as the admin UI's browser test uses), a live server, screenshots saved under
artifacts/screenshots/ (gitignored), and an accessibility check with axe-core.

axe-core comes from the npm registry (frontend/package.json's devDependencies, installed by
`make install`); the test injects it into the page. Without Chromium or axe-core the tests are
skipped with the reason, except under CI=true, where that is a failure.

Each browser test (these and the admin UI's) runs on one backend, named by its marker, and the
backends take turns between them; the one that checks what saving an admin form writes runs on
both. A browser test is about what the page and its scripts do; every request behind it runs on
both backends in the page and API tests, where it costs a fraction of a browser's time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.accounts.test_admin_browser import CHROMEDRIVER, CHROMIUM, HEADLESS_FLAGS

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
# Violations of these impacts fail the check; minor and moderate ones are reported only.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def _needed(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true needs the web browser tests to run: {what}")
    pytest.skip(what)


def chromium_or_skip() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        _needed(f"needs chromium and chromium-driver ({', '.join(missing)} missing)")
    if not AXE.exists():
        _needed("needs axe-core from npm (`make install` runs npm ci in frontend/)")


def open_chromium(tmp_path: Path, *, width: int = 1280, height: int = 900) -> WebDriver:
    tmp_path.mkdir(parents=True, exist_ok=True)
    options = Options()
    options.binary_location = str(CHROMIUM)
    flags = [flag for flag in HEADLESS_FLAGS if not flag.startswith("--window-size")]
    for flag in (*flags, f"--window-size={width},{height}", f"--user-data-dir={tmp_path}"):
        options.add_argument(flag)
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "driver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    return driver


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[WebDriver]:
    chromium_or_skip()
    driver = open_chromium(tmp_path / "profile")
    try:
        yield driver
    finally:
        driver.quit()


def page_loaded(driver: WebDriver) -> None:
    WebDriverWait(driver, 30).until(
        lambda page: page.execute_script("return document.readyState") == "complete"
    )


def next_page(driver: WebDriver, action: Callable[[], object]) -> None:
    """Do `action` (a click that navigates) and wait until the next page has loaded."""
    before = driver.find_element(By.TAG_NAME, "html")
    action()

    def replaced(_: WebDriver) -> bool:
        try:
            before.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            # Chromium sometimes answers for a node of the page just left with this
            # instead of a stale-element error.
            if "does not belong to the document" in (error.msg or ""):
                return True
            raise
        return False

    WebDriverWait(driver, 30).until(replaced)
    page_loaded(driver)


def screenshot(driver: WebDriver, name: str) -> Path:
    """Save the page as artifacts/screenshots/<name>.png (the whole page's height)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(600, min(int(height) + 140, 4000)))
    driver.save_screenshot(str(path))
    return path


def set_dark(driver: WebDriver, dark: bool) -> None:
    """Emulate the system's colour scheme (the pages follow prefers-color-scheme)."""
    scheme = "dark" if dark else "light"
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )


def axe_violations(driver: WebDriver) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.x A/AA violations on the current page."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE.read_text())
    result: list[dict[str, Any]] = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {
          runOnly: {
            type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
          },
          resultTypes: ["violations"],
        }).then(
          (results) => done(results.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
          }))),
          (error) => done([{id: "axe-error", impact: "critical", help: String(error), nodes: []}]),
        );
        """
    )
    return result


def assert_accessible(driver: WebDriver, where: str) -> None:
    """No serious or critical axe-core violations on the page."""
    blocking = [v for v in axe_violations(driver) if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, f"{where}: {blocking}"


def assert_fits(driver: WebDriver, where: str) -> None:
    """Nothing overflows the page sideways (at 360 px wide, say)."""
    overflow = driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        culprits = driver.execute_script(
            """
            const width = document.documentElement.clientWidth;
            return [...document.querySelectorAll("body *")]
              .filter((e) => e.getBoundingClientRect().right > width + 1)
              .filter((e) => !e.closest(".table-wrap") || e.classList.contains("table-wrap"))
              .slice(0, 8)
              .map((e) => e.tagName + "." + e.className + "#" + e.id);
            """
        )
        raise AssertionError(f"{where}: {overflow}px wider than the window: {culprits}")
