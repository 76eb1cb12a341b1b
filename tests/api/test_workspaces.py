"""Workspaces: create, list (paged), get, update (admins), delete (owners) with everything in it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import NotFound
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import (
    ActivityLog,
    Agent,
    Comment,
    Event,
    EventType,
    Issue,
    IssueDependency,
    IssueLabel,
    IssueLabelLink,
    Member,
    Project,
    Run,
    User,
    UserApiKey,
    Workspace,
)
from praisonai_platform.workspaces.permissions import Action, workspace_access
from praisonai_platform.workspaces.references import resolve_issue
from tests.factories import activity_of, new_issue

API = "/api/v1/workspaces"


async def test_create_get_update_delete(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    created = await client.post(
        API + "/",
        json={"name": "  Platform Team ", "description": "We build it", "issue_prefix": "eng"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    workspace = created.json()
    assert workspace["name"] == "Platform Team"
    assert workspace["slug"] == "platform-team"
    assert workspace["description"] == "We build it"
    assert workspace["issue_prefix"] == "ENG"
    assert workspace["settings"] == {}
    assert workspace["created_at"] and workspace["updated_at"]
    async with session_scope() as session:
        member = await session.scalar(select(Member).where(Member.workspace_id == workspace["id"]))
    assert member is not None and (member.user_id, member.role) == (owner.id, "owner")
    [entry] = await activity_of(workspace["id"])
    assert (entry.entity_type, entry.entity_id, entry.action) == (
        "workspace",
        workspace["id"],
        "created",
    )
    assert entry.actor_id == owner.id

    url = f"{API}/{workspace['id']}"
    fetched = await client.get(url, headers=owner.headers)
    assert fetched.status_code == 200
    assert fetched.json() == workspace
    assert (await client.get(url + "/", headers=owner.headers)).json() == workspace

    updated = await client.patch(
        url,
        json={"name": "Platform", "settings": {"theme": "dark"}, "issue_prefix": "plat"},
        headers=owner.headers,
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["settings"], body["issue_prefix"]) == (
        "Platform",
        {"theme": "dark"},
        "PLAT",
    )
    assert body["slug"] == "platform-team" and body["description"] == "We build it"
    entries = await activity_of(workspace["id"])
    assert [e.action for e in entries] == ["created", "updated"]
    assert entries[1].details == {
        "changes": {
            "name": ["Platform Team", "Platform"],
            "settings": [{}, {"theme": "dark"}],
            "issue_prefix": ["ENG", "PLAT"],
        }
    }

    deleted = await client.delete(url, headers=owner.headers)
    assert deleted.status_code == 204
    assert (await client.get(url, headers=owner.headers)).status_code == 404
    assert await activity_of(workspace["id"]) == []


async def test_unchanged_update_records_nothing(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    response = await client.post(API, json={"name": "Same", "slug": None}, headers=owner.headers)
    assert response.status_code == 201  # 0.1.9's client sends an explicit null slug
    workspace = response.json()
    same = await client.patch(
        f"{API}/{workspace['id']}",
        json={"name": "Same", "description": None},
        headers=owner.headers,
    )
    assert same.status_code == 200
    assert same.json()["updated_at"] == workspace["updated_at"]
    assert [e.action for e in await activity_of(workspace["id"])] == ["created"]


async def test_slugs_are_derived_and_unique(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    owner, other = await make_user(), await make_user()
    first = await client.post(API + "/", json={"name": "Research"}, headers=owner.headers)
    second = await client.post(API + "/", json={"name": "Research"}, headers=other.headers)
    third = await client.post(API + "/", json={"name": "research!"}, headers=owner.headers)
    assert (first.status_code, second.status_code, third.status_code) == (201, 201, 201)
    slugs = [r.json()["slug"] for r in (first, second, third)]
    assert slugs == ["research", "research-2", "research-3"]

    accented = await client.post(API, json={"name": "Café Déjà Vu"}, headers=owner.headers)
    assert accented.json()["slug"] == "cafe-deja-vu"
    symbols = await client.post(API, json={"name": "日本語 ???"}, headers=owner.headers)
    assert symbols.json()["slug"] == "workspace"
    long_name = await client.post(API, json={"name": "a" * 200}, headers=owner.headers)
    assert long_name.json()["slug"] == "a" * 80


async def test_explicit_slugs(client: httpx.AsyncClient, make_user) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    mine = await client.post(
        API + "/", json={"name": "Anything", "slug": "my-team"}, headers=owner.headers
    )
    assert (mine.status_code, mine.json()["slug"]) == (201, "my-team")
    again = await client.post(
        API + "/", json={"name": "Other", "slug": "my-team"}, headers=owner.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "slug_taken")
    assert "INSERT" not in again.text and "UNIQUE" not in again.text.upper()
    derived = await client.post(API + "/", json={"name": "My Team"}, headers=owner.headers)
    assert derived.json()["slug"] == "my-team-2"


async def test_no_slug_has_the_shape_of_a_workspace_id(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    """The web app finds a workspace by slug or id: a slug equal to another workspace's id would
    send that workspace's members (and their live updates) to the wrong one."""
    owner = await make_user()
    other = (await client.post(API + "/", json={"name": "Victim"}, headers=owner.headers)).json()
    explicit = await client.post(
        API + "/", json={"name": "Decoy", "slug": other["id"]}, headers=owner.headers
    )
    assert (explicit.status_code, explicit.json()["code"]) == (422, "invalid_slug")
    derived = await client.post(API + "/", json={"name": other["id"]}, headers=owner.headers)
    assert derived.json()["slug"] == f"workspace-{other['id']}"


async def test_issue_prefix_defaults_and_is_upper_case(
    client: httpx.AsyncClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner = await make_user()
    plain = await client.post(API, json={"name": "Plain"}, headers=owner.headers)
    assert plain.json()["issue_prefix"] == "ISSUE"
    mixed = await client.post(
        API, json={"name": "Mixed", "issue_prefix": "oPs2"}, headers=owner.headers
    )
    assert mixed.json()["issue_prefix"] == "OPS2"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "nul\x00byte"},
        {"name": 5},
        {"name": "ok", "slug": "Upper"},
        {"name": "ok", "slug": "-leading-dash"},
        {"name": "ok", "slug": "has space"},
        {"name": "ok", "slug": "a" * 101},
        {"name": "ok", "slug": ""},
        {"name": "ok", "issue_prefix": "1AB"},
        {"name": "ok", "issue_prefix": "E-NG"},
        {"name": "ok", "issue_prefix": "ABCDEFGHIJK"},
        {"name": "ok", "issue_prefix": ""},
        {"name": "ok", "settings": ["not", "an", "object"]},
        {"name": "ok", "settings": {"k": "nul\x00"}},
        {"name": "ok", "description": "d" * 100_001},
    ],
)
async def test_invalid_creates_are_422(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
    body: dict[str, Any],
) -> None:
    owner = await make_user()
    response = await client.post(API + "/", json=body, headers=owner.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    async with session_scope() as session:
        assert await session.scalar(select(func.count()).select_from(Workspace)) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "y" * 201},
        {"issue_prefix": "9X"},
        {"issue_prefix": "TOO-LONG-PREFIX"},
        {"settings": "text"},
    ],
)
async def test_invalid_updates_are_422(
    client: httpx.AsyncClient,
    make_user,  # type: ignore[no-untyped-def]
    make_workspace,  # type: ignore[no-untyped-def]
    body: dict[str, Any],
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner, issue_prefix="KEEP")
    response = await client.patch(f"{API}/{workspace['id']}", json=body, headers=owner.headers)
    assert response.status_code == 422, response.text
    again = await client.get(f"{API}/{workspace['id']}", headers=owner.headers)
    assert again.json() == workspace


async def test_permissions_per_role(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    owner = await make_user("owner")
    admin = await make_user("admin")
    member = await make_user("member")
    stranger = await make_user("stranger")
    workspace = await make_workspace(owner)
    url = f"{API}/{workspace['id']}"
    await add_member(workspace["id"], admin, "admin")
    await add_member(workspace["id"], member, "member")

    for person in (owner, admin, member):
        assert (await client.get(url, headers=person.headers)).status_code == 200
    hidden = await client.get(url, headers=stranger.headers)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    anonymous = await client.get(url)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")
    missing = await client.get(f"{API}/no-such-workspace", headers=owner.headers)
    assert missing.status_code == 404
    assert missing.json() == hidden.json()  # a stranger cannot tell hidden from missing

    rename = {"name": "Renamed"}
    assert (await client.patch(url, json=rename, headers=owner.headers)).status_code == 200
    assert (await client.patch(url, json=rename, headers=admin.headers)).status_code == 200
    denied = await client.patch(url, json={"name": "Mine"}, headers=member.headers)
    assert (denied.status_code, denied.json()["code"]) == (403, "forbidden")
    assert (await client.patch(url, json=rename, headers=stranger.headers)).status_code == 404
    assert (await client.patch(url, json=rename)).status_code == 401
    assert (await client.get(url, headers=owner.headers)).json()["name"] == "Renamed"

    assert (await client.delete(url, headers=admin.headers)).status_code == 403
    assert (await client.delete(url, headers=member.headers)).status_code == 403
    assert (await client.delete(url, headers=stranger.headers)).status_code == 404
    assert (await client.delete(url)).status_code == 401
    assert (await client.get(url, headers=member.headers)).status_code == 200
    assert (await client.delete(url + "/", headers=owner.headers)).status_code == 204
    assert (await client.get(url, headers=member.headers)).status_code == 404

    assert (await client.post(API, json={"name": "x"})).status_code == 401
    assert (await client.get(API)).status_code == 401


async def test_list_shows_only_your_workspaces_in_pages(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    me, other = await make_user(), await make_user()
    mine = [await make_workspace(me) for _ in range(4)]
    theirs = await make_workspace(other)
    shared = await make_workspace(other)
    await add_member(shared["id"], me, "member")
    expected = [w["id"] for w in [*mine, shared]]

    everything = await client.get(API + "/", headers={**me.headers, "Prefer": "count=exact"})
    assert everything.status_code == 200
    assert [w["id"] for w in everything.json()] == expected
    assert everything.headers["X-Total-Count"] == "5"
    assert "Link" not in everything.headers
    assert theirs["id"] not in {w["id"] for w in everything.json()}

    seen: list[str] = []
    counted = {**me.headers, "Prefer": "count=exact"}
    response = await client.get(API, params={"limit": 2}, headers=counted)
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        assert response.headers["X-Total-Count"] == "5"
        seen += [w["id"] for w in response.json()]
        pages += 1
        link = response.headers.get("Link")
        if link is None:
            break
        assert link.endswith('>; rel="next"') and "cursor=" in link and "limit=2" in link
        # A workspace created meanwhile (newest, so last) neither repeats nor shifts the pages.
        next_url = link[link.index("<") + 1 : link.index(">")]
        response = await client.get(next_url, headers=counted)
    assert pages == 3
    assert seen == expected and len(set(seen)) == len(seen)

    offset = await client.get(API, params={"limit": 2, "offset": 3}, headers=me.headers)
    assert [w["id"] for w in offset.json()] == expected[3:]
    bad = await client.get(API, params={"cursor": "not-a-cursor"}, headers=me.headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_cursor")
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}):
        assert (await client.get(API, params=params, headers=me.headers)).status_code == 422
    stranger = await make_user()
    empty = await client.get(API, headers={**stranger.headers, "Prefer": "count=exact"})
    assert (empty.json(), empty.headers["X-Total-Count"]) == ([], "0")


async def test_cursor_pages_skip_nothing_when_rows_are_added(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    me = await make_user()
    first = [await make_workspace(me) for _ in range(3)]
    page_one = await client.get(API, params={"limit": 2}, headers=me.headers)
    link = page_one.headers["Link"]
    added = await make_workspace(me)
    next_url = link[link.index("<") + 1 : link.index(">")]
    page_two = await client.get(next_url, headers=me.headers)
    ids = [w["id"] for w in page_one.json() + page_two.json()]
    assert ids == [w["id"] for w in [*first, added]]


async def test_a_new_prefix_applies_to_new_issues_and_old_keys_still_resolve(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    workspace = await make_workspace(owner, issue_prefix="ENG")
    old = await new_issue(workspace["id"])
    assert (old.issue_number, old.identifier) == (1, "ENG-1")

    changed = await client.patch(
        f"{API}/{workspace['id']}", json={"issue_prefix": "ops"}, headers=owner.headers
    )
    assert changed.json()["issue_prefix"] == "OPS"
    new = await new_issue(workspace["id"])
    assert (new.issue_number, new.identifier) == (2, "OPS-2")
    assert (await activity_of(workspace["id"]))[-1].details == {
        "changes": {"issue_prefix": ["ENG", "OPS"]}
    }

    async with session_scope() as session:
        user = await session.get(User, owner.id)
        assert user is not None
        access = await workspace_access(
            session, Actor.for_user(user), workspace["id"], Action.ISSUE_READ
        )
        for key, expected in (("ENG-1", old.id), ("OPS-1", old.id), ("ops-2", new.id)):
            assert (await resolve_issue(session, access, key)).id == expected
        with pytest.raises(NotFound):
            await resolve_issue(session, access, "ENG-2")  # never had that key


async def test_deleting_a_workspace_leaves_no_rows_of_it(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace, add_member
) -> None:
    owner, teammate = await make_user(), await make_user()
    doomed = await make_workspace(owner)
    kept = await make_workspace(owner)
    await add_member(doomed["id"], teammate, "admin")

    async def fill(workspace_id: str) -> None:
        async with session_scope() as session:
            project = Project(workspace_id=workspace_id, name="Project")
            agent = Agent(workspace_id=workspace_id, name="Agent", owner_id=owner.id)
            label = IssueLabel(workspace_id=workspace_id, name="bug", color="#ff0000")
            session.add_all([project, agent, label])
            await session.flush()
            parent = Issue(workspace_id=workspace_id, title="Parent", project_id=project.id)
            session.add(parent)
            await session.flush()
            child = Issue(
                workspace_id=workspace_id,
                title="Child",
                parent_id=parent.id,
                assignee_agent_id=agent.id,
            )
            session.add(child)
            await session.flush()
            run = Run(workspace_id=workspace_id, issue_id=child.id, agent_id=agent.id)
            session.add(run)
            await session.flush()
            first = Comment(issue_id=parent.id, author_id=owner.id, content="First")
            session.add(first)
            await session.flush()
            session.add_all(
                [
                    Comment(
                        issue_id=parent.id,
                        author_agent_id=agent.id,
                        content="Reply",
                        parent_id=first.id,
                    ),
                    IssueLabelLink(issue_id=parent.id, label_id=label.id),
                    IssueDependency(issue_id=child.id, depends_on_id=parent.id),
                    Event(
                        event_type=EventType.RUN_PENDING, workspace_id=workspace_id, run_id=run.id
                    ),
                    UserApiKey(
                        user_id=owner.id,
                        workspace_id=workspace_id,
                        key_prefix="pk_test",
                        key_hash=f"hash-{workspace_id}",
                    ),
                    ActivityLog(
                        workspace_id=workspace_id,
                        entity_type="issue",
                        entity_id=parent.id,
                        issue_id=parent.id,
                        action="created",
                    ),
                ]
            )

    await fill(doomed["id"])
    await fill(kept["id"])

    async def counts(workspace_id: str) -> dict[str, int]:
        async with session_scope() as session:
            issue_ids = select(Issue.id).where(Issue.workspace_id == workspace_id)
            run_ids = select(Run.id).where(Run.workspace_id == workspace_id)
            queries = {
                "workspaces": select(func.count()).where(Workspace.id == workspace_id),
                "members": select(func.count()).where(Member.workspace_id == workspace_id),
                "projects": select(func.count()).where(Project.workspace_id == workspace_id),
                "agents": select(func.count()).where(Agent.workspace_id == workspace_id),
                "labels": select(func.count()).where(IssueLabel.workspace_id == workspace_id),
                "issues": select(func.count()).where(Issue.workspace_id == workspace_id),
                "runs": select(func.count()).where(Run.workspace_id == workspace_id),
                "events": select(func.count()).where(
                    (Event.workspace_id == workspace_id) | Event.run_id.in_(run_ids)
                ),
                "api_keys": select(func.count()).where(UserApiKey.workspace_id == workspace_id),
                "activity": select(func.count()).where(ActivityLog.workspace_id == workspace_id),
                "comments": select(func.count()).where(Comment.issue_id.in_(issue_ids)),
                "label_links": select(func.count()).where(IssueLabelLink.issue_id.in_(issue_ids)),
                "dependencies": select(func.count()).where(IssueDependency.issue_id.in_(issue_ids)),
            }
            return {name: await session.scalar(query) or 0 for name, query in queries.items()}

    before = await counts(doomed["id"])
    assert all(before.values()), before
    kept_before = await counts(kept["id"])
    # Ids captured before the delete: nothing may survive that pointed into the workspace.
    async with session_scope() as session:
        doomed_issue_ids = list(
            await session.scalars(select(Issue.id).where(Issue.workspace_id == doomed["id"]))
        )
    response = await client.delete(f"{API}/{doomed['id']}", headers=owner.headers)
    assert response.status_code == 204, response.text

    assert set((await counts(doomed["id"])).values()) == {0}
    async with session_scope() as session:
        for model, column in (
            (Comment, Comment.issue_id),
            (IssueLabelLink, IssueLabelLink.issue_id),
            (IssueDependency, IssueDependency.depends_on_id),
            (Run, Run.issue_id),
        ):
            left = await session.scalar(
                select(func.count()).select_from(model).where(column.in_(doomed_issue_ids))
            )
            assert left == 0, model.__tablename__
        for table in (ActivityLog, Member):
            assert not await session.scalar(
                select(func.count()).select_from(table).where(table.workspace_id == doomed["id"])
            )
        # The people outlive it.
        assert await session.get(User, teammate.id) is not None
        assert await session.get(User, owner.id) is not None
    assert await counts(kept["id"]) == kept_before
    listed = await client.get(API, headers=owner.headers)
    assert [w["id"] for w in listed.json()] == [kept["id"]]
