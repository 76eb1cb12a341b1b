"""The admin UI in a real browser: headless Chromium (Debian's chromium and chromium-driver)
against a live server on loopback. An admin made with `praisonai-platform user create --admin`
signs in and opens the issues view; a non-admin is refused. Every edit form, saved with one field
changed or none, changes only that field.

Without Chromium the test is skipped with the reason, except under CI=true, where that is a
failure (`make browser` installs it; `make test` does so under CI=true).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select, update
from typer.testing import CliRunner

from praisonai_platform.api.admin.audit import AuditedView
from praisonai_platform.cli.app import app
from praisonai_platform.db import get_engine, session_scope
from praisonai_platform.db.models import ActivityLog, Issue, Member, MemberRole
from tests.accounts.test_admin import (
    EDITABLE,
    activity_count,
    row_values,
    seed_editable_rows,
)
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


@pytest.mark.postgres_only  # see tests/web/browser.py: one backend per browser test
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


# One field changed (or none) in each editable view: {identity: (field, new value) or None}.
EDITS: dict[str, tuple[str, str] | None] = {
    "user": ("display_name", "Ada L."),
    "user-api-key": ("label", "ci"),
    "workspace": ("name", "Operations"),
    "member": None,
    "project": ("status", "completed"),
    "issue": None,
    "comment": None,
    "issue-label": ("name", "defect"),
    "agent": ("max_concurrent_tasks", "5"),
}


def sign_in_as_admin(browser: WebDriver, base_url: str) -> None:
    """Sign in and wait for the admin's home page: leaving earlier could cancel the sign-in."""
    sign_in(browser, base_url, *ADMIN)
    WebDriverWait(browser, 30).until(expected_conditions.url_to_be(f"{base_url}/admin/"))


def edit_and_save(
    browser: WebDriver, base_url: str, identity: str, pk: str, edit: tuple[str, str] | None
) -> None:
    """Open the edit form, change `edit` (field, value) if given, and press Save."""
    browser.get(f"{base_url}/admin/{identity}/edit/{pk}")
    wait = WebDriverWait(browser, 20)
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "save")))
    if edit is not None:
        name, value = edit
        field = browser.find_element(By.NAME, name)
        if field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            field.clear()
            field.send_keys(value)
    browser.find_element(By.CSS_SELECTOR, "input[name=save][value=Save]").click()
    try:
        wait.until(expected_conditions.url_contains(f"/admin/{identity}/list"))
    except TimeoutException:
        problems = browser.find_elements(By.CSS_SELECTOR, ".alert-danger, .invalid-feedback")
        pytest.fail(f"{identity}: not saved: {[problem.text for problem in problems]}")


async def test_saving_an_edit_form_changes_only_what_was_edited(
    browser: WebDriver, server: LiveServer, db_url: str, tmp_path: Path
) -> None:
    get_engine(db_url)
    rows = await seed_editable_rows()
    assert set(EDITS) == set(rows)
    before = {identity: await row_values(*row) for identity, row in rows.items()}
    assert await activity_count() == 0
    try:
        sign_in_as_admin(browser, server.base_url)
        for identity, (_model, pk) in rows.items():
            edit_and_save(browser, server.base_url, identity, pk, EDITS[identity])
    except Exception:
        browser.save_screenshot(str(tmp_path / "failure.png"))
        print(f"screenshot: {tmp_path / 'failure.png'}\nserver log:\n{server.log()}")
        raise
    changed: dict[str, dict[str, Any]] = {}
    for identity, row in rows.items():
        after = await row_values(*row)
        diff = {k: (before[identity][k], v) for k, v in after.items() if before[identity][k] != v}
        edit = EDITS[identity]
        if edit is not None:
            name, value = edit
            assert str(diff.pop(name, (None, None))[1]) == value, identity
            diff.pop("updated_at", None)  # an edit is a change
        if diff:
            changed[identity] = diff
    assert changed == {}
    # One audit entry per edit in a view with a trail, holding just that change.
    expected = set()
    for identity, edit in EDITS.items():
        view = EDITABLE[identity]
        if edit is not None and issubclass(view, AuditedView):
            expected.add((view.entity_type, rows[identity][1], edit[0]))
    async with session_scope(read_only=True) as session:
        entries = (await session.scalars(select(ActivityLog))).all()
    assert {
        (entry.entity_type, entry.entity_id, *entry.details["changes"]) for entry in entries
    } == expected
    assert len(entries) == len(expected)


@pytest.mark.sqlite_only  # see tests/web/browser.py: one backend per browser test
async def test_an_urgent_issue_keeps_its_status_and_a_member_stays_a_member(
    browser: WebDriver, server: LiveServer, db_url: str, tmp_path: Path
) -> None:
    get_engine(db_url)
    rows = await seed_editable_rows()
    (_, issue_id), (_, member_id) = rows["issue"], rows["member"]
    async with session_scope() as session:
        await session.execute(
            update(Member).where(Member.id == member_id).values(role=MemberRole.MEMBER)
        )
    member_before = await row_values(Member, member_id)
    try:
        sign_in_as_admin(browser, server.base_url)
        edit = ("title", "Printer still on fire")
        edit_and_save(browser, server.base_url, "issue", issue_id, edit)
        edit_and_save(browser, server.base_url, "member", member_id, None)
    except Exception:
        browser.save_screenshot(str(tmp_path / "failure.png"))
        print(f"screenshot: {tmp_path / 'failure.png'}\nserver log:\n{server.log()}")
        raise
    issue = await row_values(Issue, issue_id)
    assert issue["title"] == "Printer still on fire"
    assert (issue["status"], issue["priority"]) == ("todo", "urgent")
    assert issue["description"] is None
    assert await row_values(Member, member_id) == member_before
    async with session_scope(read_only=True) as session:
        trail = (await session.scalars(select(ActivityLog))).all()
    [entry] = trail
    assert entry.entity_id == issue_id and entry.action == "updated"
    assert entry.details["changes"] == {"title": ["Printer on fire", "Printer still on fire"]}
