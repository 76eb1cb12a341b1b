"""The board: columns by status, and moving a card with the optimistic version check."""

from __future__ import annotations

import re

import httpx
import pytest

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Issue
from tests.factories import (
    API,
    AddMember,
    MakeUser,
    MakeWorkspace,
    create_issue,
    create_label,
)
from tests.web.conftest import NewBrowser
from tests.web.test_issue_pages import Team, attach, make_team, signed_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
async def team(make_user: MakeUser, make_workspace: MakeWorkspace, new_browser: NewBrowser) -> Team:
    return await make_team(make_user, make_workspace, new_browser)


def columns(page: str) -> dict[str, list[str]]:
    """The keys of the cards in each column, top to bottom."""
    found: dict[str, list[str]] = {}
    for status, body in re.findall(
        r'<ol class="board-cards" data-status="([a-z-]+)"[^>]*>(.*?)</ol>', page, re.DOTALL
    ):
        found[status] = re.findall(r'data-key="([A-Z]+-\d+)"', body)
    return found


async def current(client: httpx.AsyncClient, team: Team, key: str) -> dict[str, object]:
    answer = await client.get(
        f"{API}/workspaces/{team.id}/issues/{key}", headers=team.owner.headers
    )
    data: dict[str, object] = answer.json()
    return data


async def test_the_board_has_a_column_per_status(team: Team, client: httpx.AsyncClient) -> None:
    owner = team.owner
    await create_issue(client, owner, team.id, title="Low one", priority="low")
    await create_issue(client, owner, team.id, title="Urgent one", priority="urgent")
    await create_issue(client, owner, team.id, title="Doing", status="in-progress")
    done = await create_issue(client, owner, team.id, title="Finished", status="done")
    bug = await create_label(client, team.id, owner, name="bug")
    await attach(client, owner, team.id, done["id"], bug["id"])
    page = await team.browser.get(team.url)
    assert page.status_code == 200
    found = columns(page.text)
    assert list(found) == [
        "backlog", "todo", "in-progress", "in-review", "blocked", "done", "cancelled",
    ]  # fmt: skip
    # Highest priority first.
    assert found["backlog"] == ["ENG-2", "ENG-1"]
    assert found["in-progress"] == ["ENG-3"] and found["done"] == ["ENG-4"]
    assert 'data-move-url="/w/engineering/board/move"' in page.text
    assert "vendor/Sortable.min.js" in page.text
    filtered = columns((await team.browser.get(f"{team.url}?label=bug")).text)
    assert filtered["done"] == ["ENG-4"] and filtered["backlog"] == []
    searched = columns((await team.browser.get(f"{team.url}?q=urgent")).text)
    assert searched["backlog"] == ["ENG-2"]


async def test_a_full_column_links_to_the_whole_list(team: Team) -> None:
    async with session_scope() as session:
        for n in range(1, 28):
            session.add(
                Issue(workspace_id=team.id, title=f"I{n}", issue_number=n, identifier=f"ENG-{n}")
            )
    page = await team.browser.get(team.url)
    assert len(columns(page.text)["backlog"]) == 25
    assert "All backlog issues" in page.text
    assert "/w/engineering/issues?status=backlog&amp;sort=-priority" in page.text


async def test_moving_a_card_changes_its_status(team: Team, client: httpx.AsyncClient) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Move me")
    await team.browser.get(team.url)
    moved = await team.browser.post(
        f"{team.url}/board/move",
        {"issue": issue["id"], "version": "1", "status": "in-progress"},
        headers=HTMX,
    )
    assert moved.status_code == 200
    assert moved.text.lstrip().startswith('<li class="issue-card"')
    assert 'data-status="in-progress"' in moved.text and 'data-version="2"' in moved.text
    state = await current(client, team, issue["id"])
    assert (state["status"], state["version"]) == ("in-progress", 2)
    # A plain form (the card's Move menu, without JavaScript) goes back to the board.
    plain = await team.browser.post(
        f"{team.url}/board/move", {"issue": issue["identifier"], "version": "2", "status": "done"}
    )
    assert plain.status_code == 303 and plain.headers["location"] == team.url
    assert (await current(client, team, issue["id"]))["status"] == "done"


async def test_a_stale_card_gets_a_conflict_not_an_overwrite(
    team: Team,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    add_member: AddMember,
    new_browser: NewBrowser,
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Contested")
    colleague = await make_user("colleague")
    await add_member(team.id, colleague)
    theirs = await signed_in(new_browser, colleague)
    # Both boards drew the card at version 1; the colleague moves it first.
    await team.browser.get(team.url)
    await theirs.get(team.url)
    first = await theirs.post(
        f"{team.url}/board/move",
        {"issue": issue["id"], "version": "1", "status": "in-review"},
        headers=HTMX,
    )
    assert first.status_code == 200
    second = await team.browser.post(
        f"{team.url}/board/move",
        {"issue": issue["id"], "version": "1", "status": "cancelled"},
        headers=HTMX,
    )
    assert second.status_code == 409
    assert 'class="card-problem" role="alert"' in second.text
    assert "Someone changed this issue" in second.text
    # The card comes back as the issue is now, to go into its current column.
    assert 'data-status="in-review"' in second.text and 'data-version="2"' in second.text
    state = await current(client, team, issue["id"])
    assert (state["status"], state["version"]) == ("in-review", 2)
    plain = await team.browser.post(
        f"{team.url}/board/move", {"issue": issue["id"], "version": "1", "status": "cancelled"}
    )
    assert plain.status_code == 409 and "Someone changed this issue" in plain.text
    assert (await current(client, team, issue["id"]))["status"] == "in-review"


async def test_bad_moves_are_4xx(
    team: Team, client: httpx.AsyncClient, make_user: MakeUser, new_browser: NewBrowser
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Stay")
    await team.browser.get(team.url)
    url = f"{team.url}/board/move"
    for form, status in (
        ({"issue": issue["id"], "version": "1", "status": "nowhere"}, 422),
        ({"issue": issue["id"], "status": "done"}, 422),
        ({"issue": issue["id"], "version": "x", "status": "done"}, 422),
        ({"issue": issue["id"], "version": "99999999999", "status": "done"}, 422),
        ({"version": "1", "status": "done"}, 422),
        ({"issue": "ENG-999", "version": "1", "status": "done"}, 404),
    ):
        response = await team.browser.post(url, form, headers=HTMX)
        assert response.status_code == status, form
        # htmx gets the message as text, shown by the page's script.
        assert "<html" not in response.text
    # Someone else's workspace: its issue cannot be moved from one's own board either.
    stranger = await make_user("stranger")
    own = await client.post(f"{API}/workspaces/", json={"name": "Mine"}, headers=stranger.headers)
    browser = await signed_in(new_browser, stranger)
    await browser.get(f"/w/{own.json()['slug']}")
    sneaky = await browser.post(
        f"/w/{own.json()['slug']}/board/move",
        {"issue": issue["id"], "version": "1", "status": "done"},
        headers=HTMX,
    )
    assert sneaky.status_code == 404
    assert (await current(client, team, issue["id"]))["status"] == "backlog"
