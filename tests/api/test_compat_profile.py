"""The PLATFORM_API_COMPAT setting: off by default (our own dialect, unchanged), the translation
rules of api/compat.py, the agent statuses in the database, and our SDK reading either dialect.

The 0.1.9 dialect itself, answered by a server in that mode, is tests/api/test_compat_019.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from praisonai_platform.api import compat
from praisonai_platform.api.app import create_app
from praisonai_platform.client import AsyncPlatformClient
from praisonai_platform.client.models import ActorType, AgentStatus, IssueStatus
from praisonai_platform.config import derive_alembic_database_url, load_settings
from praisonai_platform.core.errors import ConfigurationError
from praisonai_platform.core.server_settings import ServerSettings, load_server_settings
from praisonai_platform.db import get_engine, migrate, reset_engine
from tests.factories import API, TEST_SECRET, MakeUser, MakeWorkspace, create_issue


def test_the_setting_is_off_by_default_and_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PLATFORM_API_COMPAT", raising=False)
    assert load_server_settings().api_compat == "none"
    monkeypatch.setenv("PLATFORM_API_COMPAT", "0.1.9")
    assert load_server_settings().api_compat == "0.1.9"
    monkeypatch.setenv("PLATFORM_API_COMPAT", "0.2")
    with pytest.raises(ConfigurationError, match="PLATFORM_API_COMPAT"):
        load_server_settings()


def test_only_the_019_dialect_installs_the_translation_and_direct_membership() -> None:
    ours = create_app(ServerSettings(jwt_secret=TEST_SECRET, env="test"))
    theirs = create_app(ServerSettings(jwt_secret=TEST_SECRET, env="test", api_compat="0.1.9"))
    assert not any(m.cls is compat.Dialect019 for m in ours.user_middleware)
    assert any(m.cls is compat.Dialect019 for m in theirs.user_middleware)
    assert theirs.state.direct_membership is True


@pytest.mark.parametrize(
    ("path", "status", "body", "expected"),
    [
        # Issues, one or a list; other fields untouched.
        (
            "/api/v1/workspaces/w/issues/ENG-1",
            200,
            {"status": "in-review", "title": "in-progress"},
            {"status": "in_review", "title": "in-progress"},
        ),
        (
            "/api/v1/workspaces/w/issues/",
            200,
            [{"status": "in-progress"}, {"status": "done"}],
            [{"status": "in_progress"}, {"status": "done"}],
        ),
        # Projects have statuses of their own (`active` among them), left alone.
        ("/api/v1/workspaces/w/projects/p", 200, {"status": "active"}, {"status": "active"}),
        ("/api/v1/workspaces/w/agents/a", 200, {"status": "active"}, {"status": "working"}),
        (
            "/api/v1/workspaces/w/projects/p/stats",
            200,
            {"by_status": {"in-progress": 2, "todo": 1}},
            {"by_status": {"in_progress": 2, "todo": 1}},
        ),
        (
            "/api/v1/workspaces/w/activity",
            200,
            [
                {
                    "entity_type": "agent",
                    "action": "updated",
                    "actor_type": "agent",
                    "details": {"changes": {"status": ["idle", "active"]}},
                },
                {"entity_type": "workspace", "action": "created", "actor_type": "system"},
            ],
            [
                {
                    "entity_type": "agent",
                    "action": "agent.updated",
                    "actor_type": "agent",
                    "details": {
                        "changes": {"status": ["idle", "working"]},
                        "fields": {"status": "working"},
                    },
                },
                {"entity_type": "workspace", "action": "workspace.created", "actor_type": "system"},
            ],
        ),
        # Only a workspace refusal becomes 403; other 404s and other paths stay.
        (
            "/api/v1/workspaces/w/issues/x",
            404,
            {"detail": "issue not found", "code": "not_found"},
            {"detail": "issue not found", "code": "not_found"},
        ),
        (
            "/api/v1/runs/r",
            404,
            {"detail": "workspace not found", "code": "not_found"},
            {"detail": "workspace not found", "code": "not_found"},
        ),
        (
            "/api/v1/workspaces/w/issues/x",
            422,
            {"status": "in-progress"},
            {"status": "in-progress"},
        ),
    ],
)
def test_translation_of_answers(path: str, status: int, body: Any, expected: Any) -> None:
    assert compat.translate_answer(path, status, body) == (status, expected)


def test_a_workspace_refusal_becomes_019s_403() -> None:
    refused = {"detail": "workspace not found", "code": "not_found"}
    assert compat.translate_answer("/api/v1/workspaces/w/labels", 404, refused) == (
        403,
        {"detail": compat.NOT_A_MEMBER_019, "code": "forbidden"},
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"name": "x"}', {"name": "x", "issue_prefix": "ISS"}),
        (b'{"name": "x", "issue_prefix": null}', {"name": "x", "issue_prefix": "ISS"}),
        (b'{"name": "x", "issue_prefix": "ENG"}', {"name": "x", "issue_prefix": "ENG"}),
    ],
)
def test_defaults_fill_only_what_is_missing(body: bytes, expected: dict[str, Any]) -> None:
    defaults = compat.request_defaults("POST", "/api/v1/workspaces/")
    assert defaults is not None
    assert json.loads(compat.with_defaults(body, defaults)) == expected


def test_bodies_that_are_not_objects_are_left_for_the_route_to_refuse() -> None:
    defaults = {"status": "offline"}
    for body in (b"", b"[1]", b"{not json", b'"text"'):
        assert compat.with_defaults(body, defaults) == body
    assert compat.request_defaults("GET", "/api/v1/workspaces/") is None
    assert compat.request_defaults("POST", "/api/v1/workspaces/w/agents/") == defaults
    assert compat.request_defaults("POST", "/api/v1/workspaces/w/issues/") is None


async def test_our_dialect_is_unchanged_by_default(
    client: httpx.AsyncClient, make_user: MakeUser, make_workspace: MakeWorkspace
) -> None:
    owner, stranger = await make_user("owner"), await make_user("stranger")
    workspace = await make_workspace(owner)
    ws = workspace["id"]
    assert workspace["issue_prefix"] == "ISSUE"
    issue = await create_issue(client, owner, ws, status="in_progress")
    assert (issue["identifier"], issue["status"]) == ("ISSUE-1", "in-progress")
    agent = await client.post(
        f"{API}/workspaces/{ws}/agents/", json={"name": "Bot"}, headers=owner.headers
    )
    assert agent.json()["status"] == "idle"
    entries = (await client.get(f"{API}/workspaces/{ws}/activity", headers=owner.headers)).json()
    created = next(e for e in entries if e["entity_type"] == "issue")
    assert (created["action"], created["actor_type"]) == ("created", "user")
    refused = await client.get(f"{API}/workspaces/{ws}", headers=stranger.headers)
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")


@pytest.fixture(params=["none", "0.1.9"])
async def sdk(
    request: pytest.FixtureRequest, db_url: str, make_user: MakeUser
) -> AsyncIterator[AsyncPlatformClient]:
    """Our SDK, signed in, talking to a server in either dialect."""
    app = create_app(ServerSettings(jwt_secret=TEST_SECRET, env="test", api_compat=request.param))
    get_engine(db_url)
    person = await make_user("sdk")
    transport = httpx.ASGITransport(app=app)
    async with AsyncPlatformClient(
        "http://testserver", token=person.token, transport=transport
    ) as c:
        yield c
    await reset_engine()


async def test_the_sdk_reads_either_dialect(sdk: AsyncPlatformClient) -> None:
    workspace = await sdk.workspaces.create("Either")
    ws = workspace.id
    project = await sdk.projects.create(ws, "Launch")
    issue = await sdk.issues.create(ws, "t", project_id=project.id, status="in_progress")
    assert issue.status is IssueStatus.IN_PROGRESS
    reviewed = await sdk.issues.update(ws, issue.id, status="in-review")
    assert reviewed.status is IssueStatus.IN_REVIEW
    listed = await sdk.issues.list(ws, status="in_review")
    assert [i.status for i in listed.items] == [IssueStatus.IN_REVIEW]
    stats = await sdk.projects.stats(ws, project.id)
    assert stats.by_status[IssueStatus.IN_REVIEW] == 1
    agent = await sdk.agents.create(ws, "Bot", status="active")
    assert agent.status in (AgentStatus.ACTIVE, AgentStatus.WORKING)
    entries = await sdk.activity.list(ws)
    assert {e.actor_type for e in entries.items} == {ActorType.USER}


@pytest.mark.parametrize("working_rows", [0, 1])
def test_migration_0008_adds_working_and_goes_back_to_active(
    backend: str, empty_db_url: str, working_rows: int
) -> None:
    settings = load_settings(database_url=empty_db_url)
    migrate.upgrade(settings, "head")
    engine = create_engine(derive_alembic_database_url(empty_db_url))
    insert_agent = text(
        "INSERT INTO agents (id, workspace_id, name, status, config, runtime_mode, "
        "runtime_config, max_concurrent_tasks, created_at, updated_at) VALUES "
        "(:id, 'w', 'Bot', :status, '{}', 'local', '{}', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO workspaces (id, name, slug, issue_prefix, issue_counter, "
                    "settings, created_at, updated_at) VALUES ('w', 'W', 'w', 'W', 0, '{}', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            for n, status in enumerate(
                ("idle", "active", "working", "offline", "blocked", "error")
            ):
                if status != "working" or working_rows:
                    connection.execute(insert_agent, {"id": f"a{n}", "status": status})
        migrate.downgrade(settings, "0007")
        with engine.begin() as connection:
            statuses = set(connection.execute(text("SELECT status FROM agents")).scalars())
            assert "working" not in statuses and "active" in statuses
            with pytest.raises(IntegrityError), connection.begin_nested():
                connection.execute(insert_agent, {"id": "x", "status": "working"})
        migrate.upgrade(settings, "head")
        with engine.begin() as connection:
            connection.execute(insert_agent, {"id": "y", "status": "working"})
            with pytest.raises(IntegrityError), connection.begin_nested():
                connection.execute(insert_agent, {"id": "z", "status": "asleep"})
    finally:
        engine.dispose()
