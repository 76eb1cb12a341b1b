"""Projects with their progress, "my work", and what the pages cost as a workspace grows."""

from __future__ import annotations

import re

import httpx
import pytest

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Issue, IssueLabel, IssueLabelLink, IssueStatus, Project
from tests.factories import (
    API,
    AddMember,
    MakeUser,
    MakeWorkspace,
    counting_statements,
    create_issue,
    create_project,
)
from tests.web.conftest import NewBrowser
from tests.web.test_issue_pages import Team, make_team, signed_in


@pytest.fixture
async def team(make_user: MakeUser, make_workspace: MakeWorkspace, new_browser: NewBrowser) -> Team:
    return await make_team(make_user, make_workspace, new_browser)


async def test_projects_show_their_progress(team: Team, client: httpx.AsyncClient) -> None:
    owner = team.owner
    launch = await create_project(client, team.id, owner, title="Launch")
    await create_project(client, team.id, owner, title="Empty")
    for status in ("done", "done", "todo", "cancelled", "in-progress"):
        await create_issue(client, owner, team.id, status=status, project_id=launch["id"])
    await create_issue(client, owner, team.id, status="done")  # in no project
    page = await team.browser.get(f"{team.url}/projects")
    assert page.status_code == 200
    # Cancelled issues do not count: 2 of 4 done.
    assert "2 of 4 done (50%)" in page.text
    assert f'id="progress-{launch["id"]}" max="100" value="50"' in page.text
    assert "Done: 2" in page.text and "Todo: 1" in page.text and "Cancelled: 1" in page.text
    assert "No issues yet" in page.text
    assert f"/w/engineering/issues?project={launch['id']}&amp;status=done" in page.text


async def test_create_a_project_from_the_page(team: Team, client: httpx.AsyncClient) -> None:
    await team.browser.get(f"{team.url}/projects")
    made = await team.browser.post(
        f"{team.url}/projects", {"name": "Website", "description": "The *new* one"}
    )
    assert made.status_code == 303 and made.headers["location"] == f"{team.url}/projects"
    listed = await client.get(f"{API}/workspaces/{team.id}/projects/", headers=team.owner.headers)
    assert [p["name"] for p in listed.json()] == ["Website"]
    page = await team.browser.get(f"{team.url}/projects")
    assert "Website" in page.text and "<em>new</em>" in page.text
    assert (await team.browser.post(f"{team.url}/projects", {"name": " "})).status_code == 422


async def test_my_work_lists_what_is_mine(
    team: Team,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    add_member: AddMember,
    new_browser: NewBrowser,
) -> None:
    owner = team.owner
    colleague = await make_user("colleague")
    await add_member(team.id, colleague)
    await create_issue(client, owner, team.id, title="Mine, urgent", priority="urgent",
                       assignee_id=colleague.id)  # fmt: skip
    await create_issue(client, owner, team.id, title="Mine, low", priority="low",
                       assignee_id=colleague.id)  # fmt: skip
    await create_issue(client, owner, team.id, title="Mine, finished", status="done",
                       assignee_id=colleague.id)  # fmt: skip
    await create_issue(client, owner, team.id, title="Not mine")
    await create_issue(client, colleague, team.id, title="Written by me")
    browser = await signed_in(new_browser, colleague)
    page = await browser.get(f"{team.url}/my-work")
    assert page.status_code == 200
    assigned, created = page.text.split('id="created-heading"')
    titles = re.findall(r'class="issue-title" href="[^"]+">([^<]+)</a>', assigned)
    assert titles == ["Mine, urgent", "Mine, low"]
    assert re.findall(r'class="issue-title" href="[^"]+">([^<]+)</a>', created) == ["Written by me"]


async def test_pages_cost_the_same_whatever_the_workspace_size(
    team: Team, client: httpx.AsyncClient
) -> None:
    """Each page reads one page of issues with a fixed number of statements: adding issues,
    labels and projects does not add queries (no query per issue, per card or per project)."""
    owner = team.owner
    issue = await create_issue(client, owner, team.id, title="First")
    pages = [
        f"{team.url}/issues",
        f"{team.url}/issues?status=backlog&label=bug&q=issue",
        team.url,
        f"{team.url}/projects",
        f"{team.url}/my-work",
        f"{team.url}/issues/{issue['identifier']}",
    ]

    async def statements_per_page() -> list[int]:
        counts = []
        for url in pages:
            with counting_statements() as statements:
                response = await team.browser.get(url)
            assert response.status_code == 200, url
            counts.append(len(statements))
        return counts

    await add_rows(team.id, 8, start=2)  # a card in every column
    small = await statements_per_page()
    await add_rows(team.id, 120, start=10)
    assert await statements_per_page() == small


async def add_rows(workspace_id: str, count: int, *, start: int) -> None:
    """`count` issues, each in a project of its own, labelled and in a status of the cycle."""
    statuses = list(IssueStatus)
    async with session_scope() as session:
        label = IssueLabel(workspace_id=workspace_id, name=f"bug-{start}", color="#ff0000")
        session.add(label)
        for n in range(start, start + count):
            project = Project(workspace_id=workspace_id, name=f"P{n}")
            session.add(project)
            await session.flush()
            issue = Issue(
                workspace_id=workspace_id,
                title=f"Issue {n}",
                issue_number=n,
                identifier=f"ENG-{n}",
                status=statuses[n % len(statuses)],
                project_id=project.id,
            )
            session.add(issue)
            await session.flush()
            session.add(IssueLabelLink(issue_id=issue.id, label_id=label.id))
