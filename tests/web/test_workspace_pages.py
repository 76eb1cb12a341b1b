"""The web app's workspace pages: create, switch, and settings (general, members and
invitations, labels, agents, API keys), with the API's permissions."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Agent, IssueLabel, Run, UserApiKey, Workspace
from tests.factories import API, MakeUser, MakeWorkspace, Person, create_label, key_headers
from tests.web.conftest import Browser, NewBrowser

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
)
SETTINGS = ("general", "members", "labels", "agents", "api-keys")


async def signed_in(new_browser: NewBrowser, person: Person) -> Browser:
    browser = await new_browser()
    await browser.sign_in(person)
    return browser


def assert_escaped(html: str, payload: str) -> None:
    """The payload is on the page as text only: never as markup."""
    assert payload not in html or "<" not in payload
    escaped = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&#34;").replace("'", "&#39;")
    assert escaped in html
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg/onload" not in html


async def test_create_a_workspace(browser: Browser, make_user: MakeUser) -> None:
    person = await make_user()
    await browser.sign_in(person)
    page = await browser.get("/workspaces/new")
    assert page.status_code == 200
    made = await browser.post("/workspaces", {"name": "Research Lab", "issue_prefix": "res"})
    assert made.status_code == 303
    assert made.headers["location"] == "/w/research-lab"
    async with session_scope(read_only=True) as session:
        workspace = await session.scalar(select(Workspace).where(Workspace.slug == "research-lab"))
    assert workspace is not None and workspace.issue_prefix == "RES"
    switcher = await browser.get("/w/research-lab/settings/members")
    assert 'href="/w/research-lab"' in switcher.text


async def test_create_refuses_bad_input_with_the_reason(
    browser: Browser, make_user: MakeUser
) -> None:
    await browser.sign_in(await make_user())
    await browser.get("/workspaces/new")
    bad = await browser.post("/workspaces", {"name": "Lab", "issue_prefix": "1-bad"})
    assert bad.status_code == 422
    assert "issue_prefix" in bad.text and 'value="Lab"' in bad.text
    empty = await browser.post("/workspaces", {"name": ""})
    assert empty.status_code == 422


async def test_non_members_find_no_workspace(
    new_browser: NewBrowser, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner, stranger = await make_user("owner"), await make_user("stranger")
    workspace = await make_workspace(owner, name="Private")
    browser = await signed_in(new_browser, stranger)
    slug = workspace["slug"]
    for section in SETTINGS:
        page = await browser.get(f"/w/{slug}/settings/{section}")
        assert page.status_code == 404, section
        assert "Private" not in page.text
    assert (await browser.get(f"/w/{workspace['id']}/settings/members")).status_code == 404
    assert (await browser.get("/w/no-such-workspace/settings/members")).status_code == 404
    forms: list[tuple[str, dict[str, Any]]] = [
        (f"/w/{slug}/settings/general", {"name": "Mine", "issue_prefix": "MINE"}),
        (f"/w/{slug}/settings/invitations", {"email": "x@example.com"}),
        (f"/w/{slug}/settings/labels", {"name": "bug"}),
        (f"/w/{slug}/settings/agents", {"name": "bot"}),
        (f"/w/{slug}/settings/api-keys", {"label": "k"}),
    ]
    for url, form in forms:
        assert (await browser.post(url, form)).status_code == 404, url
    async with session_scope(read_only=True) as session:
        stored = await session.get(Workspace, workspace["id"])
        assert stored is not None and stored.name == "Private"
        assert await session.scalar(select(IssueLabel.id)) is None
        assert await session.scalar(select(Agent.id)) is None
        assert await session.scalar(select(UserApiKey.id)) is None


async def test_members_cannot_open_or_submit_admin_settings(
    new_browser: NewBrowser,
    make_user: MakeUser,
    make_workspace: MakeWorkspace,
    add_member: Any,
    client: httpx.AsyncClient,
) -> None:
    owner, member = await make_user("owner"), await make_user("member")
    workspace = await make_workspace(owner, name="Team")
    await add_member(workspace["id"], member, "member")
    label = await create_label(client, workspace["id"], owner, name="bug")
    browser = await signed_in(new_browser, member)
    slug = workspace["slug"]
    assert (await browser.get(f"/w/{slug}/settings")).headers["location"].endswith("/members")
    general = await browser.get(f"/w/{slug}/settings/general")
    assert general.status_code == 403
    saved = await browser.post(
        f"/w/{slug}/settings/general", {"name": "Taken over", "issue_prefix": "OWN"}
    )
    assert saved.status_code == 403
    members_page = await browser.get(f"/w/{slug}/settings/members")
    assert members_page.status_code == 200
    assert owner.email not in members_page.text  # admins see emails; members do not
    assert "Invite someone" not in members_page.text
    invited = await browser.post(f"/w/{slug}/settings/invitations", {"email": "x@example.com"})
    assert invited.status_code == 403
    renamed = await browser.post(
        f"/w/{slug}/settings/labels/{label['id']}", {"name": "mine", "color": "#000000"}
    )
    assert renamed.status_code == 403
    deleted = await browser.post(f"/w/{slug}/settings/labels/{label['id']}/delete")
    assert deleted.status_code == 403
    promoted = await browser.post(f"/w/{slug}/settings/members/{member.id}/role", {"role": "owner"})
    assert promoted.status_code == 403
    async with session_scope(read_only=True) as session:
        stored = await session.get(Workspace, workspace["id"])
        stored_label = await session.get(IssueLabel, label["id"])
    assert stored is not None and stored.name == "Team"
    assert stored_label is not None and stored_label.name == "bug"


async def test_admins_change_name_and_prefix(
    new_browser: NewBrowser, make_user: MakeUser, make_workspace: MakeWorkspace, add_member: Any
) -> None:
    owner, admin = await make_user("owner"), await make_user("admin")
    workspace = await make_workspace(owner, name="Team")
    await add_member(workspace["id"], admin, "admin")
    browser = await signed_in(new_browser, admin)
    slug = workspace["slug"]
    page = await browser.get(f"/w/{slug}/settings/general")
    assert page.status_code == 200 and 'value="Team"' in page.text
    saved = await browser.post(
        f"/w/{slug}/settings/general", {"name": "Platform team", "issue_prefix": "plat"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/w/{slug}/settings/general?notice=saved"
    after = await browser.get(saved.headers["location"])
    assert "Saved." in after.text and 'value="PLAT"' in after.text
    bad = await browser.post(f"/w/{slug}/settings/general", {"name": "x", "issue_prefix": "no!"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    async with session_scope(read_only=True) as session:
        stored = await session.get(Workspace, workspace["id"])
    assert stored is not None and (stored.name, stored.issue_prefix) == ("Platform team", "PLAT")


async def test_admins_manage_members_and_invitations(
    new_browser: NewBrowser, make_user: MakeUser, make_workspace: MakeWorkspace, add_member: Any
) -> None:
    owner, admin, member = await make_user("o"), await make_user("a"), await make_user("m")
    workspace = await make_workspace(owner)
    await add_member(workspace["id"], admin, "admin")
    await add_member(workspace["id"], member, "member")
    slug = workspace["slug"]
    browser = await signed_in(new_browser, admin)
    page = await browser.get(f"/w/{slug}/settings/members")
    assert member.email in page.text and "Invite someone" in page.text
    # Only owners make admins or owners, as on the API.
    made_owner = await browser.post(
        f"/w/{slug}/settings/invitations", {"email": "b@example.com", "role": "owner"}
    )
    assert made_owner.status_code == 403
    invited = await browser.post(f"/w/{slug}/settings/invitations", {"email": "b@example.com"})
    assert invited.status_code == 303
    page = await browser.get(f"/w/{slug}/settings/members")
    assert "b@example.com" in page.text
    invitation_id = page.text.split("/settings/invitations/", 1)[1].split("/revoke", 1)[0]
    revoked = await browser.post(f"/w/{slug}/settings/invitations/{invitation_id}/revoke")
    assert revoked.status_code == 303
    assert "b@example.com" not in (await browser.get(f"/w/{slug}/settings/members")).text
    removed = await browser.post(f"/w/{slug}/settings/members/{member.id}/remove")
    assert removed.status_code == 303
    assert member.email not in (await browser.get(f"/w/{slug}/settings/members")).text
    bad_email = await browser.post(f"/w/{slug}/settings/invitations", {"email": "not an email"})
    assert bad_email.status_code == 422


async def test_labels_and_agents(
    new_browser: NewBrowser, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner)
    slug = workspace["slug"]
    browser = await signed_in(new_browser, owner)
    await browser.get(f"/w/{slug}/settings/labels")
    made = await browser.post(
        f"/w/{slug}/settings/labels", {"name": "bug", "color": "#ff0000", "description": "broken"}
    )
    assert made.status_code == 303
    twice = await browser.post(f"/w/{slug}/settings/labels", {"name": "bug", "color": "#ff0000"})
    assert twice.status_code == 409 and 'role="alert"' in twice.text
    bad_colour = await browser.post(f"/w/{slug}/settings/labels", {"name": "x", "color": "red"})
    assert bad_colour.status_code == 422
    async with session_scope(read_only=True) as session:
        label = await session.scalar(select(IssueLabel))
    assert label is not None and label.color == "#ff0000"
    edited = await browser.post(
        f"/w/{slug}/settings/labels/{label.id}", {"name": "defect", "color": "#00ff00"}
    )
    assert edited.status_code == 303
    page = await browser.get(f"/w/{slug}/settings/labels")
    assert "defect" in page.text and 'data-color="#00ff00"' in page.text
    assert (await browser.post(f"/w/{slug}/settings/labels/{label.id}/delete")).status_code == 303
    assert "defect" not in (await browser.get(f"/w/{slug}/settings/labels")).text

    agent_made = await browser.post(f"/w/{slug}/settings/agents", {"name": "Builder"})
    assert agent_made.status_code == 303
    async with session_scope() as session:
        agent = await session.scalar(select(Agent))
        assert agent is not None
        session.add(Run(workspace_id=agent.workspace_id, agent_id=agent.id))
    agents_page = await browser.get(f"/w/{slug}/settings/agents")
    assert "Builder" in agents_page.text and "idle" in agents_page.text
    agent_page = await browser.get(f"/w/{slug}/settings/agents/{agent.id}")
    assert agent_page.status_code == 200 and "pending" in agent_page.text
    assert (await browser.get(f"/w/{slug}/settings/agents/nope")).status_code == 404


async def test_api_key_is_shown_once_and_works(
    browser: Browser, make_user: MakeUser, make_workspace: MakeWorkspace, client: httpx.AsyncClient
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner)
    slug = workspace["slug"]
    await browser.sign_in(owner)
    await browser.get(f"/w/{slug}/settings/api-keys")
    created = await browser.post(f"/w/{slug}/settings/api-keys", {"label": "ci", "write": "1"})
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secret = created.text.split('<code id="new-key">', 1)[1].split("</code>", 1)[0]
    assert secret.startswith("ppk_")
    assert 'data-copy="#new-key"' in created.text
    listing = await browser.get(f"/w/{slug}/settings/api-keys")
    assert secret not in listing.text and "ci" in listing.text
    # Limited to this workspace, with the write scope.
    answer = await client.get(f"{API}/workspaces/{workspace['id']}", headers=key_headers(secret))
    assert answer.status_code == 200
    other = await make_workspace(owner)
    refused = await client.get(f"{API}/workspaces/{other['id']}", headers=key_headers(secret))
    assert refused.status_code == 403
    async with session_scope(read_only=True) as session:
        key = await session.scalar(select(UserApiKey))
    assert key is not None and sorted(key.scopes) == ["read", "write"]
    revoked = await browser.post(f"/w/{slug}/settings/api-keys/{key.id}/revoke")
    assert revoked.status_code == 303
    gone = await client.get(f"{API}/workspaces/{workspace['id']}", headers=key_headers(secret))
    assert gone.status_code == 401


async def test_api_key_expiry_takes_ascii_digits_only(
    browser: Browser, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner = await make_user()
    slug = (await make_workspace(owner))["slug"]
    await browser.sign_in(owner)
    await browser.get(f"/w/{slug}/settings/api-keys")
    # Digits to str.isdigit, but not a number int() reads (²), or not one typed in ASCII (٣).
    for days in ("²", "3²", "٣", "-1", "1.5"):
        refused = await browser.post(
            f"/w/{slug}/settings/api-keys", {"label": "ci", "expires_in_days": days}
        )
        assert refused.status_code == 422, days
        assert "a whole number of days" in refused.text
    async with session_scope(read_only=True) as session:
        assert await session.scalar(select(UserApiKey.id)) is None
    made = await browser.post(
        f"/w/{slug}/settings/api-keys", {"label": "ci", "expires_in_days": " 30 "}
    )
    assert made.status_code == 201


async def test_someone_elses_key_cannot_be_revoked(
    new_browser: NewBrowser, make_user: MakeUser, make_workspace: MakeWorkspace, add_member: Any
) -> None:
    owner, member = await make_user("owner"), await make_user("member")
    workspace = await make_workspace(owner)
    await add_member(workspace["id"], member)
    owner_browser = await signed_in(new_browser, owner)
    await owner_browser.get(f"/w/{workspace['slug']}/settings/api-keys")
    await owner_browser.post(f"/w/{workspace['slug']}/settings/api-keys", {"label": "mine"})
    async with session_scope(read_only=True) as session:
        key = await session.scalar(select(UserApiKey))
    assert key is not None
    member_browser = await signed_in(new_browser, member)
    listing = await member_browser.get(f"/w/{workspace['slug']}/settings/api-keys")
    assert "mine" not in listing.text
    refused = await member_browser.post(f"/w/{workspace['slug']}/settings/api-keys/{key.id}/revoke")
    assert refused.status_code == 404
    async with session_scope(read_only=True) as session:
        stored = await session.get(UserApiKey, key.id)
    assert stored is not None and stored.revoked_at is None


async def test_hostile_names_are_text(
    browser: Browser, make_user: MakeUser, make_workspace: MakeWorkspace, client: httpx.AsyncClient
) -> None:
    owner = await make_user()
    await browser.sign_in(owner)
    for payload in PAYLOADS:
        await hostile_names_are_text(browser, owner, make_workspace, client, payload)


async def hostile_names_are_text(
    browser: Browser,
    owner: Person,
    make_workspace: MakeWorkspace,
    client: httpx.AsyncClient,
    payload: str,
) -> None:
    workspace = await make_workspace(owner, name=f"WS {payload}")
    await create_label(client, workspace["id"], owner, name=f"L {payload}", description=payload)
    agent = await client.post(
        f"{API}/workspaces/{workspace['id']}/agents",
        json={"name": f"A {payload}", "description": payload},
        headers=owner.headers,
    )
    assert agent.status_code == 201, agent.text
    slug = workspace["slug"]
    for section in SETTINGS:
        page = await browser.get(f"/w/{slug}/settings/{section}")
        assert page.status_code == 200, section
        assert_escaped(page.text, f"WS {payload}")  # the switcher, the title
    assert_escaped((await browser.get(f"/w/{slug}/settings/labels")).text, f"L {payload}")
    agents_page = (await browser.get(f"/w/{slug}/settings/agents")).text
    assert_escaped(agents_page, f"A {payload}")
    agent_page = await browser.get(f"/w/{slug}/settings/agents/{agent.json()['id']}")
    assert_escaped(agent_page.text, f"A {payload}")
    # The failed form shows what was typed, as text.
    refused = await browser.post("/workspaces", {"name": "x", "issue_prefix": payload[:20]})
    assert refused.status_code == 422
    assert "<script>alert" not in refused.text and "<img src=x" not in refused.text


async def test_pages_allow_no_inline_script(browser: Browser, make_user: MakeUser) -> None:
    await browser.sign_in(await make_user())
    page = await browser.get("/workspaces/new")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in page.text  # every script is a file of the server's own
    for asset in ("/static/app.css", "/static/app.js", "/static/vendor/htmx.min.js"):
        assert (await browser.http.get(asset)).status_code == 200, asset
