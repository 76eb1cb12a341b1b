"""The issue list and the issue page: filters, sort and search held in the URL, the quick create
form, edits with the version check, comments and their permissions, and the edges an attacker
would try (other workspaces, no CSRF token, hostile text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Comment, Issue
from praisonai_platform.web import markdown
from praisonai_platform.web.session import SESSION_COOKIE
from tests.factories import (
    API,
    AddMember,
    MakeUser,
    MakeWorkspace,
    Person,
    create_api_key,
    create_issue,
    create_label,
    create_project,
    key_headers,
    post_created,
)
from tests.web.conftest import Browser, NewBrowser

# What people and agents may write, rendered on every page as text (or sanitised Markdown).
HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "'><iframe src=javascript:alert(1)>",
)


class ActiveContent(HTMLParser):
    """Collects what in a page could run code: event handler attributes, script or frame
    elements, inline scripts, and `javascript:`/`data:` URLs in links and sources."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("iframe", "object", "embed", "frame", "base"):
            self.found.append(f"<{tag}>")
        if tag == "script":
            self._in_script = True
            if not (values.get("src") or "").startswith("/static/"):
                self.found.append(f"<script src={values.get('src')!r}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            url = (value or "").strip().lower().replace("\t", "").replace("\n", "")
            if name in ("href", "src", "action", "formaction", "xlink:href") and (
                url.startswith(("javascript:", "vbscript:", "data:"))
            ):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("inline script")


def active_content(page: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(page)
    parser.close()
    return parser.found


@dataclass
class Team:
    """A workspace with its owner signed in on a browser."""

    owner: Person
    browser: Browser
    workspace: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.workspace["id"])

    @property
    def url(self) -> str:
        return f"/w/{self.workspace['slug']}"


async def signed_in(new_browser: NewBrowser, person: Person) -> Browser:
    """A browser holding `person`'s session (the cookie the sign-in page would set)."""
    browser = await new_browser()
    browser.http.cookies.set(SESSION_COOKIE, person.token)
    return browser


async def make_team(
    make_user: MakeUser, make_workspace: MakeWorkspace, new_browser: NewBrowser
) -> Team:
    """A workspace (prefix ENG) whose owner is signed in on a browser."""
    owner = await make_user("owner")
    workspace = await make_workspace(owner, name="Engineering", issue_prefix="ENG")
    return Team(owner, await signed_in(new_browser, owner), workspace)


@pytest.fixture
async def team(make_user: MakeUser, make_workspace: MakeWorkspace, new_browser: NewBrowser) -> Team:
    return await make_team(make_user, make_workspace, new_browser)


async def attach(
    client: httpx.AsyncClient, person: Person, workspace_id: str, issue_id: str, label_id: str
) -> None:
    response = await client.post(
        f"{API}/workspaces/{workspace_id}/issues/{issue_id}/labels/{label_id}",
        headers=person.headers,
    )
    assert response.status_code == 204, response.text


async def keys_on(page: httpx.Response) -> list[str]:
    return re.findall(r'<a class="issue-key" href="[^"]+">([A-Z]+-\d+)</a>', page.text)


async def test_the_list_filters_sorts_and_searches_from_the_url(
    team: Team, client: httpx.AsyncClient
) -> None:
    owner = team.owner
    bug = await create_label(client, team.id, owner, name="bug")
    project = await create_project(client, team.id, owner, title="Launch")
    a = await create_issue(client, owner, team.id, title="Printer on fire", priority="urgent")
    b = await create_issue(
        client, owner, team.id, title="Paint the shed", status="todo", project_id=project["id"]
    )
    c = await create_issue(
        client, owner, team.id, title="Fire drill", priority="low", assignee_id=owner.id
    )
    await attach(client, owner, team.id, a["id"], bug["id"])

    page = await team.browser.get(f"{team.url}/issues")
    assert page.status_code == 200
    assert await keys_on(page) == [c["identifier"], b["identifier"], a["identifier"]]

    oldest = await team.browser.get(f"{team.url}/issues?sort=number")
    assert await keys_on(oldest) == [a["identifier"], b["identifier"], c["identifier"]]
    by_priority = await team.browser.get(f"{team.url}/issues?sort=-priority")
    assert (await keys_on(by_priority))[0] == a["identifier"]

    cases = {
        "status=todo": [b],
        "status=todo&status=backlog": [c, b, a],
        "priority=urgent,low": [c, a],
        "assignee=me": [c],
        f"assignee={owner.id}": [c],
        "assignee=none": [b, a],
        f"label={bug['id']}": [a],
        "label=bug": [a],
        f"project={project['id']}": [b],
        "q=fire": [c, a],
        "q=fire&priority=low": [c],
        f"q={a['identifier']}": [a],
    }
    for query, expected in cases.items():
        page = await team.browser.get(f"{team.url}/issues?{query}")
        assert page.status_code == 200, (query, page.text)
        assert await keys_on(page) == [i["identifier"] for i in expected], query
    # The form shows the view it came from: the URL is the whole state.
    page = await team.browser.get(f"{team.url}/issues?status=todo&q=shed&sort=-priority")
    assert 'value="todo" checked' in page.text
    assert 'name="q" value="shed"' in page.text
    assert '<option value="-priority" selected>' in page.text


async def test_htmx_asks_for_just_the_results(team: Team, client: httpx.AsyncClient) -> None:
    await create_issue(client, team.owner, team.id, title="Only this")
    page = await team.browser.http.get(
        f"{team.url}/issues?q=only",
        headers={"HX-Request": "true", "HX-Target": "issue-results", "Accept": "text/html"},
    )
    assert page.status_code == 200
    assert page.text.lstrip().startswith('<div id="issue-results"')
    assert "<html" not in page.text and "Only this" in page.text


async def test_the_list_pages_with_a_cursor(team: Team) -> None:
    async with session_scope() as session:
        for n in range(1, 56):
            session.add(
                Issue(
                    workspace_id=team.id,
                    title=f"Issue {n}",
                    issue_number=n,
                    identifier=f"ENG-{n}",
                )
            )
    first = await team.browser.get(f"{team.url}/issues?status=backlog")
    keys = await keys_on(first)
    assert len(keys) == 50 and keys[0] == "ENG-55"
    found = re.search(r'rel="next" href="([^"]+)"', first.text)
    assert found is not None
    next_url = found.group(1).replace("&amp;", "&")
    assert "status=backlog" in next_url and "cursor=" in next_url
    second = await team.browser.get(next_url)
    assert await keys_on(second) == ["ENG-5", "ENG-4", "ENG-3", "ENG-2", "ENG-1"]


async def test_bad_filters_are_a_422_page_not_an_error(team: Team) -> None:
    for query in ("status=nonsense", "sort=title", "cursor=garbage", f"q={'x' * 600}"):
        page = await team.browser.get(f"{team.url}/issues?{query}")
        assert page.status_code == 422, query
        assert "<html" in page.text


async def test_create_from_the_quick_form(
    team: Team, client: httpx.AsyncClient, add_member: AddMember, make_user: MakeUser
) -> None:
    helper = await make_user("helper")
    await add_member(team.id, helper)
    agent = await post_created(
        client, team.owner, f"{API}/workspaces/{team.id}/agents", name="Builder"
    )
    await team.browser.get(f"{team.url}/issues")
    response = await team.browser.post(
        f"{team.url}/issues",
        {
            "title": "From the dialog",
            "description": "Some **bold** words",
            "status": "todo",
            "priority": "high",
            "assignee": f"agent:{agent['id']}",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{team.url}/issues/ENG-1"
    page = await team.browser.get(f"{team.url}/issues/ENG-1")
    assert "From the dialog" in page.text and "<strong>bold</strong>" in page.text
    async with session_scope(read_only=True) as session:
        issue = await session.scalar(select(Issue).where(Issue.workspace_id == team.id))
    assert issue is not None
    assert (issue.status.value, issue.priority.value) == ("todo", "high")
    assert issue.assignee_agent_id == agent["id"] and issue.created_by_id == team.owner.id

    bad = await team.browser.post(f"{team.url}/issues", {"title": "   "})
    assert bad.status_code == 422
    other = await team.browser.post(
        f"{team.url}/issues", {"title": "x", "assignee": "user:not-a-member"}
    )
    assert other.status_code == 422


async def test_edits_carry_the_version_and_a_stale_one_is_refused(
    team: Team, client: httpx.AsyncClient
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Before")
    url = f"{team.url}/issues/{issue['identifier']}"
    page = await team.browser.get(url)
    assert 'name="version" value="1"' in page.text
    saved = await team.browser.post(url, {"version": "1", "title": "After", "status": "done"})
    assert saved.status_code == 303
    # A second tab still holds version 1.
    stale = await team.browser.post(url, {"version": "1", "title": "Overwrite"})
    assert stale.status_code == 409
    assert "Someone changed this issue" in stale.text and "After" in stale.text
    answer = await client.get(f"{API}/workspaces/{team.id}/issues/{issue['id']}",
                              headers=team.owner.headers)  # fmt: skip
    assert answer.json()["title"] == "After" and answer.json()["status"] == "done"
    missing = await team.browser.post(url, {"title": "No version"})
    assert missing.status_code == 422


async def test_comments_in_markdown_with_edit_and_delete_rights(
    team: Team,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    add_member: AddMember,
    new_browser: NewBrowser,
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Talk")
    url = f"{team.url}/issues/{issue['identifier']}"
    member = await make_user("member")
    await add_member(team.id, member)
    theirs = await signed_in(new_browser, member)
    await theirs.get(url)
    posted = await theirs.post(f"{url}/comments", {"content": "I think **this** is _it_"})
    assert posted.status_code == 303
    async with session_scope(read_only=True) as session:
        comment = await session.scalar(select(Comment))
    assert comment is not None and comment.author_id == member.id
    page = await team.browser.get(url)
    assert "<strong>this</strong>" in page.text and "<em>it</em>" in page.text
    # The owner (an admin) may delete the member's comment, not edit it.
    assert f"/comments/{comment.id}/delete" in page.text
    assert f"/comments/{comment.id}/edit" not in page.text
    refused = await team.browser.post(
        f"{url}/comments/{comment.id}/edit", {"content": "put words in their mouth"}
    )
    assert refused.status_code == 403
    # The author edits; another member may neither edit nor delete.
    edited = await theirs.post(f"{url}/comments/{comment.id}/edit", {"content": "edited"})
    assert edited.status_code == 303
    third = await make_user("third")
    await add_member(team.id, third)
    bystander = await signed_in(new_browser, third)
    page = await bystander.get(url)
    assert "edited" in page.text and f"/comments/{comment.id}/delete" not in page.text
    assert (await bystander.post(f"{url}/comments/{comment.id}/delete")).status_code == 403
    assert (
        await bystander.post(f"{url}/comments/{comment.id}/edit", {"content": "x"})
    ).status_code == 403
    deleted = await team.browser.post(f"{url}/comments/{comment.id}/delete")
    assert deleted.status_code == 303
    async with session_scope(read_only=True) as session:
        assert await session.scalar(select(Comment)) is None
    empty = await theirs.post(f"{url}/comments", {"content": "   "})
    assert empty.status_code == 422


async def test_labels_dependencies_sub_issues_and_delegation_from_the_page(
    team: Team, client: httpx.AsyncClient
) -> None:
    owner = team.owner
    issue = await create_issue(client, owner, team.id, title="Parent")
    other = await create_issue(client, owner, team.id, title="Other")
    bug = await create_label(client, team.id, owner, name="bug")
    agent = await post_created(client, owner, f"{API}/workspaces/{team.id}/agents", name="Bot")
    url = f"{team.url}/issues/{issue['identifier']}"
    await team.browser.get(url)
    assert (await team.browser.post(f"{url}/labels", {"label": bug["id"]})).status_code == 303
    assert (
        await team.browser.post(f"{url}/dependencies", {"type": "blocks", "other": "ENG-2"})
    ).status_code == 303
    made = await team.browser.post(
        f"{team.url}/issues", {"title": "Child", "parent": issue["id"], "return_to": "parent"}
    )
    assert made.headers["location"] == f"{url}#sub-issues"
    delegated = await team.browser.post(f"{url}/delegate", {"agent": agent["id"]})
    assert delegated.status_code == 303, delegated.text
    page = await team.browser.get(url)
    assert "bug" in page.text and "Blocks" in page.text and "ENG-2" in page.text
    assert "ENG-3" in page.text and "Child" in page.text
    assert 'id="run-' in page.text and "pending" in page.text
    assert "delegated the issue to Bot" in page.text
    other_page = await team.browser.get(f"{team.url}/issues/{other['identifier']}")
    assert "Blocked by" in other_page.text
    removed = await team.browser.post(f"{url}/labels/{bug['id']}/remove")
    assert removed.status_code == 303
    self_block = await team.browser.post(
        f"{url}/dependencies", {"type": "blocks", "other": "ENG-1"}
    )
    assert self_block.status_code == 422


async def test_strangers_and_other_workspaces_see_nothing(
    team: Team,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    new_browser: NewBrowser,
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Secret plan")
    stranger = await make_user("stranger")
    own = await make_workspace(stranger, name="Elsewhere")
    browser = await signed_in(new_browser, stranger)
    key = issue["identifier"]
    for url in (
        f"{team.url}/issues",
        f"{team.url}/issues/{key}",
        f"{team.url}",
        f"{team.url}/projects",
        f"{team.url}/my-work",
        f"/w/{team.id}/issues/{issue['id']}",
        # The issue's id in the stranger's own workspace finds nothing either.
        f"/w/{own['slug']}/issues/{issue['id']}",
    ):
        page = await browser.get(url)
        assert page.status_code == 404, url
        assert "Secret plan" not in page.text
    await browser.get(f"/w/{own['slug']}/issues")
    for url, form in (
        (f"{team.url}/issues", {"title": "sneaky"}),
        (f"{team.url}/issues/{key}", {"version": "1", "title": "sneaky"}),
        (f"{team.url}/issues/{key}/comments", {"content": "sneaky"}),
        (f"/w/{own['slug']}/issues/{issue['id']}/comments", {"content": "sneaky"}),
        (f"{team.url}/board/move", {"issue": issue["id"], "version": "1", "status": "done"}),
        (f"{team.url}/issues/{key}/delete", {}),
    ):
        response = await browser.post(url, form)
        assert response.status_code == 404, url
    anonymous = await new_browser()
    page = await anonymous.get(f"{team.url}/issues/{key}")
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    answer = await client.get(
        f"{API}/workspaces/{team.id}/issues/{key}", headers=team.owner.headers
    )
    assert answer.json()["title"] == "Secret plan" and answer.json()["version"] == 1


async def test_posts_without_the_csrf_token_are_refused(
    team: Team, client: httpx.AsyncClient
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Guarded")
    url = f"{team.url}/issues/{issue['identifier']}"
    await team.browser.get(url)
    for target, form in (
        (f"{team.url}/issues", {"title": "forged"}),
        (url, {"version": "1", "title": "forged"}),
        (f"{url}/comments", {"content": "forged"}),
        (f"{url}/delete", {}),
        (f"{team.url}/board/move", {"issue": issue["id"], "version": "1", "status": "done"}),
        (f"{team.url}/projects", {"name": "forged"}),
    ):
        refused = await team.browser.post(target, form, csrf=False)
        assert refused.status_code == 403, target
        forged = await team.browser.post(target, {**form, "csrf_token": "0" * 64}, csrf=False)
        assert forged.status_code == 403, target
    answer = await client.get(f"{API}/workspaces/{team.id}/issues/", headers=team.owner.headers)
    assert [i["title"] for i in answer.json()] == ["Guarded"]


async def test_hostile_text_is_text_on_every_page(
    team: Team, client: httpx.AsyncClient, make_user: MakeUser, add_member: AddMember
) -> None:
    owner = team.owner
    for n, payload in enumerate(HOSTILE):
        agent = await post_created(
            client, owner, f"{API}/workspaces/{team.id}/agents", name=f"{payload} {n}"
        )
        label = await create_label(client, team.id, owner, name=f"{payload} {n}")
        project = await create_project(
            client, team.id, owner, title=f"{payload} {n}", description=payload
        )
        issue = await create_issue(
            client,
            owner,
            team.id,
            title=payload,
            description=f"{payload}\n\n[link](javascript:alert(1)) <{payload}>",
            assignee_type="agent",
            assignee_id=agent["id"],
            project_id=project["id"],
        )
        await attach(client, owner, team.id, issue["id"], label["id"])
        await post_created(
            client,
            owner,
            f"{API}/workspaces/{team.id}/issues/{issue['id']}/comments",
            content=f"{payload} and [x](javascript:alert(1))",
        )
        await client.post(
            f"{API}/workspaces/{team.id}/issues/{issue['id']}/runs",
            json={"agent_id": agent["id"]},
            headers=owner.headers,
        )
    pages = [
        f"{team.url}/issues",
        f"{team.url}/issues?q=script",
        team.url,
        f"{team.url}/projects",
        f"{team.url}/my-work",
        *(f"{team.url}/issues/ENG-{n}" for n in range(1, len(HOSTILE) + 1)),
    ]
    for url in pages:
        page = await team.browser.get(url)
        assert page.status_code == 200, url
        assert active_content(page.text) == [], url
    detail = await team.browser.get(f"{team.url}/issues/ENG-1")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail.text


def test_the_checker_sees_active_content() -> None:
    """The hostile-text test would notice markup that runs (it is not vacuous)."""
    for payload in (
        *HOSTILE[:3],
        '<a href=" javascript:alert(1)">x</a>',
        "<p onclick=x>",
        "<script>1</script>",
    ):
        assert active_content(payload), payload
    assert active_content('<script src="/static/app.js"></script><a href="/w/x">ok</a>') == []


@pytest.mark.parametrize("payload", HOSTILE)
def test_markdown_never_lets_markup_through(payload: str) -> None:
    rendered = str(markdown.render(f"{payload}\n\n**{payload}** [a]({payload}) <{payload}>"))
    assert active_content(rendered) == []
    assert "<script" not in rendered and "<img" not in rendered and "<svg" not in rendered


def test_markdown_links_get_rel_and_only_safe_schemes() -> None:
    rendered = str(
        markdown.render("[a](https://example.com) [b](mailto:x@example.com) [c](data:x)")
    )
    assert rendered.count('rel="noopener nofollow"') == 2
    assert "data:" not in rendered.split("[c]")[0] and 'href="data' not in rendered
    table = str(markdown.render("| a |\n|---|\n| 1 |\n\n~~gone~~"))
    assert "<table>" in table and "<s>gone</s>" in table


async def test_the_timeline_tells_people_and_agents_apart(
    team: Team, client: httpx.AsyncClient
) -> None:
    owner = team.owner
    agent = await post_created(client, owner, f"{API}/workspaces/{team.id}/agents", name="Reviewer")
    key = await create_api_key(client, owner, agent_id=agent["id"], workspace_id=team.id)
    issue = await create_issue(client, owner, team.id, title="Review me")
    as_agent = key_headers(key["key"])
    answer = await client.post(
        f"{API}/workspaces/{team.id}/issues/{issue['id']}/comments",
        json={"content": "Looks **fine** to me"},
        headers=as_agent,
    )
    assert answer.status_code == 201, answer.text
    changed = await client.patch(
        f"{API}/workspaces/{team.id}/issues/{issue['id']}",
        json={"status": "in-review"},
        headers=as_agent,
    )
    assert changed.status_code == 200, changed.text
    page = await team.browser.get(f"{team.url}/issues/{issue['identifier']}")
    timeline = page.text.split('id="activity-heading"')[1]
    entries = re.findall(r"<li>(.*?)</li>", timeline, re.DOTALL)
    texts = [re.sub(r"<[^>]+>", "", entry).split() for entry in entries]
    agent_line = " ".join(texts[0])
    assert "Reviewer agent changed the status from Backlog to In review" in agent_line
    assert "Reviewer agent commented" in " ".join(texts[1])
    assert "person:" in " ".join(texts[2]) and "created the issue" in " ".join(texts[2])
    assert 'class="actor actor-agent"' in page.text and 'class="actor actor-user"' in page.text
    # The agent's comment: the agent may edit it, a person may not; an admin may delete it.
    comments = page.text.split('id="comments-heading"')[1].split('id="activity-heading"')[0]
    assert "Reviewer" in comments and "/edit" not in comments and "/delete" in comments


async def test_members_cannot_delete_others_issues_or_reach_other_workspaces_issues(
    team: Team,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    add_member: AddMember,
    new_browser: NewBrowser,
) -> None:
    issue = await create_issue(client, team.owner, team.id, title="Owner's")
    member = await make_user("member")
    await add_member(team.id, member)
    browser = await signed_in(new_browser, member)
    url = f"{team.url}/issues/{issue['identifier']}"
    page = await browser.get(url)
    assert f"{url}/delete" not in page.text
    assert (await browser.post(f"{url}/delete")).status_code == 403
    # An issue of another workspace cannot become a parent, a dependency or a label here.
    elsewhere = await make_workspace(member, name="Elsewhere")
    foreign = await create_issue(client, member, elsewhere["id"], title="Foreign")
    for target, form in (
        (f"{team.url}/issues", {"title": "x", "parent": foreign["id"]}),
        (url, {"version": "1", "parent": foreign["id"]}),
        (f"{url}/dependencies", {"type": "blocks", "other": foreign["id"]}),
        (f"{team.url}/issues", {"title": "x", "project": "not-a-project"}),
    ):
        response = await browser.post(target, form)
        assert response.status_code == 422, (target, form)
    foreign_label = await create_label(client, elsewhere["id"], member, name="theirs")
    assert (await browser.post(f"{url}/labels", {"label": foreign_label["id"]})).status_code == 404
    answer = await client.get(f"{API}/workspaces/{team.id}/issues/", headers=team.owner.headers)
    assert [i["title"] for i in answer.json()] == ["Owner's"]
