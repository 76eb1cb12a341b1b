"""Live updates in a real browser (Debian's headless Chromium): a board and an issue page follow
what an agent's run does (claimed by its worker, the issue moved, progress, the agent's comment)
without a reload; when the server goes away the page says so quietly, and once it is back it
catches up with what changed meanwhile.

"Without a reload" is checked with a value the test sets on `window` after the page loaded: a
reload would lose it. Screenshots go to artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from praisonai_platform.core.clock import utcnow
from praisonai_platform.db import get_engine, session_scope
from praisonai_platform.db.models import User
from tests.factories import PASSWORD, password_hash
from tests.live.conftest import LiveServer, start_server, stop_server
from tests.web.browser import (
    assert_accessible,
    chromium,  # noqa: F401  (a fixture)
    page_loaded,
    screenshot,
)

EMAIL = "grace@example.com"
API = "/api/v1"
MARK = "window.__liveMark"
# Live streams look for other processes' changes this often (SQLite has no NOTIFY).
FAST_STREAMS = {"PLATFORM_EVENTS_POLL_SECONDS": "0.2"}


@pytest.fixture
async def database(db_url: str) -> str:
    get_engine(db_url)
    async with session_scope() as session:
        session.add(
            User(
                name="grace", email=EMAIL, password_hash=password_hash(), email_verified_at=utcnow()
            )
        )
    return db_url


@pytest.fixture
def server(database: str, tmp_path: Path) -> Iterator[LiveServer]:
    live = start_server(database, tmp_path / "server.log", environment=FAST_STREAMS)
    try:
        yield live
    finally:
        stop_server(live)


@dataclass
class Team:
    """A workspace with an agent, its key and one issue, made through the API."""

    base_url: str
    slug: str
    workspace_id: str
    agent_id: str
    issue_id: str
    owner: dict[str, str]
    agent: dict[str, str]

    def call(self, method: str, path: str, *, as_agent: bool = True, **body: Any) -> Any:
        headers = self.agent if as_agent else self.owner
        with httpx.Client(base_url=self.base_url, timeout=30) as api:
            answer = api.request(method, API + path, json=body, headers=headers)
        assert answer.status_code < 300, answer.text
        return answer.json() if answer.content else None


def make_team(base_url: str) -> Team:
    with httpx.Client(base_url=base_url, timeout=30) as api:
        login = api.post(f"{API}/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status_code == 200, login.text
        owner = {"Authorization": f"Bearer {login.json()['token']}"}
        workspace = api.post(
            f"{API}/workspaces/", json={"name": "Studio", "issue_prefix": "ART"}, headers=owner
        ).json()
        base = f"{API}/workspaces/{workspace['id']}"
        agent = api.post(f"{base}/agents/", json={"name": "Painter"}, headers=owner).json()
        key = api.post(f"{API}/api-keys", json={"agent_id": agent["id"]}, headers=owner)
        assert key.status_code == 201, key.text
        issue = api.post(f"{base}/issues/", json={"title": "Paint the shed"}, headers=owner)
        assert issue.status_code == 201, issue.text
    return Team(
        base_url=base_url,
        slug=workspace["slug"],
        workspace_id=workspace["id"],
        agent_id=agent["id"],
        issue_id=issue.json()["id"],
        owner=owner,
        agent={"Authorization": f"Bearer {key.json()['key']}"},
    )


def sign_in(driver: WebDriver, base_url: str, path: str) -> None:
    driver.get(f"{base_url}/sign-in?next={path}")
    driver.find_element(By.NAME, "email").send_keys(EMAIL)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD + Keys.ENTER)
    WebDriverWait(driver, 30).until(expected_conditions.url_to_be(base_url + path))


def open_live(driver: WebDriver, url: str | None = None) -> None:
    """Load the page (if `url`), mark it, and wait for its stream to be open."""
    if url is not None:
        driver.get(url)
    page_loaded(driver)
    driver.execute_script(f"{MARK} = 'still the same page';")
    live_state_is(driver, "open")


def live_state_is(driver: WebDriver, state: str) -> None:
    WebDriverWait(driver, 60).until(
        lambda page: page.execute_script("return document.body.dataset.liveState") == state
    )


def not_reloaded(driver: WebDriver) -> bool:
    return bool(driver.execute_script(f"return {MARK} === 'still the same page'"))


def column_of(driver: WebDriver, key: str) -> str | None:
    status = driver.execute_script(
        "const card = document.querySelector(`.board-cards [data-key='${arguments[0]}']`);"
        "return card ? card.closest('.board-cards').dataset.status : null;",
        key,
    )
    return None if status is None else str(status)


def read(driver: WebDriver, selector: str, what: str = "textContent") -> str | None:
    """A property of the element `selector` (read in the page: live updates replace elements)."""
    value = driver.execute_script(
        "const element = document.querySelector(arguments[0]);"
        "return element ? String(element[arguments[1]]) : null;",
        selector,
        what,
    )
    return None if value is None else str(value)


def selected_key(driver: WebDriver) -> str | None:
    """The key of the issue list's selected row."""
    return read(driver, "[data-issue-row].selected .issue-key")


def note(driver: WebDriver) -> str:
    return read(driver, ".live-status") or ""


def wait(driver: WebDriver, condition: Any) -> Any:
    return WebDriverWait(driver, 60).until(condition)


@pytest.mark.postgres_only  # see tests/web/browser.py: one backend per browser test
def test_pages_follow_an_agents_run_live(
    chromium: WebDriver,  # noqa: F811
    server: LiveServer,
    database: str,
    tmp_path: Path,
) -> None:
    base = server.base_url
    team = make_team(base)
    servers: list[LiveServer] = []
    try:
        sign_in(chromium, base, f"/w/{team.slug}")
        open_live(chromium)
        assert column_of(chromium, "ART-1") == "backlog"

        # A worker with the agent's key claims a run of the issue and moves it: the board follows.
        run = team.call(
            "POST",
            f"/workspaces/{team.workspace_id}/issues/{team.issue_id}/runs",
            as_agent=False,
            agent_id=team.agent_id,
        )
        worker = team.call("POST", "/workers/register")["id"]
        team.call("POST", f"/runs/{run['id']}/claim", worker_id=worker)
        team.call("PATCH", f"/workspaces/{team.workspace_id}/issues/ART-1", status="in-progress")
        wait(chromium, lambda page: column_of(page, "ART-1") == "in-progress")
        assert not_reloaded(chromium)
        # A new issue appears as well.
        team.call("POST", f"/workspaces/{team.workspace_id}/issues/", title="Buy brushes")
        wait(chromium, lambda page: column_of(page, "ART-2") == "backlog")
        assert not_reloaded(chromium)
        screenshot(chromium, "live-board")

        # The issue list, filtered in its URL, as well.
        open_live(chromium, f"{base}/w/{team.slug}/issues?status=backlog")
        team.call("POST", f"/workspaces/{team.workspace_id}/issues/", title="Mix the paint")
        wait(chromium, lambda page: "Mix the paint" in (read(page, "#issue-results") or ""))
        assert "Paint the shed" not in (read(chromium, "#issue-results") or "")
        assert not_reloaded(chromium)
        # The row picked with the keyboard stays picked, and focused, through a live update.
        # (Newest first: ART-3, then ART-2.)
        chromium.find_element(By.TAG_NAME, "body").send_keys("jj")
        assert selected_key(chromium) == "ART-2"
        team.call("PATCH", f"/workspaces/{team.workspace_id}/issues/ART-2", title="Buy 3 brushes")
        wait(chromium, lambda page: "Buy 3 brushes" in (read(page, "#issue-results") or ""))
        wait(chromium, lambda page: selected_key(page) == "ART-2")
        assert chromium.execute_script(
            "return document.activeElement.closest('[data-issue-row]') !== null"
        )
        chromium.switch_to.active_element.send_keys("k")
        assert selected_key(chromium) == "ART-3"

        # The issue page: the run's progress, the agent's comment and the status, as they come.
        open_live(chromium, f"{base}/w/{team.slug}/issues/ART-1")
        progress = f"run-progress-{run['id']}"
        team.call(
            "POST",
            f"/runs/{run['id']}/progress",
            worker_id=worker,
            percentage=40,
            message="Sanding",
        )
        wait(chromium, lambda page: read(page, f"#{progress}", "value") == "40")
        assert "Sanding" in (read(chromium, "#runs") or "")
        team.call(
            "POST",
            f"/runs/{run['id']}/complete",
            worker_id=worker,
            message="Painted it **blue**",
        )
        strong = wait(
            chromium,
            expected_conditions.presence_of_element_located(
                (By.CSS_SELECTOR, "#comment-list .comment-body strong")
            ),
        )
        assert strong.text == "blue"
        team.call("PATCH", f"/workspaces/{team.workspace_id}/issues/ART-1", status="done")
        wait(chromium, lambda page: read(page, "#prop-status", "value") == "done")
        assert not_reloaded(chromium)
        assert note(chromium) == ""
        screenshot(chromium, "live-issue")

        # A new sub-issue, and then a change of it, show on the parent's page.
        child = team.call(
            "POST",
            f"/workspaces/{team.workspace_id}/issues/",
            title="Sand the shed",
            parent_issue_id=team.issue_id,
        )
        assert child["identifier"] == "ART-4"
        wait(chromium, lambda page: "Sand the shed" in (read(page, "#sub-issues") or ""))
        team.call("PATCH", f"/workspaces/{team.workspace_id}/issues/ART-4", status="in-review")
        wait(chromium, lambda page: read(page, "#sub-issues .status-in-review") is not None)
        assert not_reloaded(chromium)

        # Someone typing a comment keeps their text while the page follows the rest.
        chromium.find_element(By.ID, "new-comment").send_keys("Half-written thought")
        team.call(
            "PATCH", f"/workspaces/{team.workspace_id}/issues/ART-1", title="Paint the big shed"
        )
        wait(chromium, lambda page: read(page, "#issue-title") == "Paint the big shed")
        assert chromium.find_element(By.ID, "new-comment").get_attribute("value") == (
            "Half-written thought"
        )
        assert not_reloaded(chromium)

        # The server goes away: the page says so, quietly.
        open_live(chromium, f"{base}/w/{team.slug}")
        stop_server(server)
        live_state_is(chromium, "paused")
        assert "paused" in note(chromium)
        assert chromium.find_element(By.CSS_SELECTOR, ".live-status").is_displayed()
        assert (
            chromium.find_element(By.CSS_SELECTOR, ".live-status").get_attribute("role") == "status"
        )
        screenshot(chromium, "live-board-paused")
        assert_accessible(chromium, "board, live updates paused")

        # Meanwhile (through another server process) the issue is reopened and a new one made.
        other = start_server(database, tmp_path / "other.log", environment=FAST_STREAMS)
        servers.append(other)
        elsewhere = Team(**{**team.__dict__, "base_url": other.base_url})
        elsewhere.call("PATCH", f"/workspaces/{team.workspace_id}/issues/ART-1", status="todo")
        elsewhere.call("POST", f"/workspaces/{team.workspace_id}/issues/", title="Fix the gate")
        assert column_of(chromium, "ART-1") == "done"

        # The server is back: the page catches up, still without a reload.
        port = int(base.rsplit(":", 1)[1])
        servers.append(
            start_server(database, tmp_path / "again.log", port=port, environment=FAST_STREAMS)
        )
        live_state_is(chromium, "open")
        wait(chromium, lambda page: column_of(page, "ART-1") == "todo")
        wait(chromium, lambda page: column_of(page, "ART-5") == "backlog")
        assert not_reloaded(chromium)
        wait(chromium, lambda page: "paused" not in note(page))
        screenshot(chromium, "live-board-caught-up")
    except Exception:
        screenshot(chromium, "live-failure")
        for live in (server, *servers):
            print(f"server log ({live.base_url}):\n{live.log()}")
        raise
    finally:
        for live in servers:
            stop_server(live)
