"""Workspaces, members, projects and agents through the SDK, sync and async, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, update

from praisonai_platform.client import NotFound, Page, PermissionDenied, ValidationError
from praisonai_platform.client.models import (
    Agent,
    InvitationSent,
    Member,
    Project,
    ProjectStats,
    Workspace,
)
from praisonai_platform.config import derive_alembic_database_url
from praisonai_platform.db.models import User
from praisonai_platform.db.types import utcnow
from tests.client.conftest import ClientFactory


def test_workspace_life_cycle(api: Any) -> None:
    created = api.workspaces.create(
        name="Research", issue_prefix="res", description="papers", settings={"theme": "dark"}
    )
    assert isinstance(created, Workspace)
    assert (created.name, created.issue_prefix, created.settings) == (
        "Research",
        "RES",
        {"theme": "dark"},
    )
    assert api.workspaces.get(created.id) == created

    updated = api.workspaces.update(created.id, name="Research lab", description=None)
    assert (updated.name, updated.issue_prefix, updated.id) == ("Research lab", "RES", created.id)

    page = api.workspaces.list()
    assert isinstance(page, Page)
    assert [w.id for w in page] == [created.id]
    assert page.total == 1
    assert [w.id for w in api.workspaces.iter()] == [created.id]

    assert api.workspaces.delete(created.id) is None
    with pytest.raises(NotFound) as gone:
        api.workspaces.get(created.id)
    assert (gone.value.status_code, gone.value.code) == (404, "not_found")
    assert api.workspaces.list().total == 0


def _verify_email(database_url: str, user_id: str) -> None:
    engine = create_engine(derive_alembic_database_url(database_url))
    try:
        with engine.begin() as connection:
            connection.execute(
                update(User).where(User.id == user_id).values(email_verified_at=utcnow())
            )
    finally:
        engine.dispose()


def test_members_are_added_changed_and_removed(
    api: Any, workspace: Any, clients: ClientFactory, client_database: str
) -> None:
    colleague = clients.signed_up("colleague")
    colleague_user = colleague.me()
    with pytest.raises(NotFound):
        colleague.workspaces.get(workspace.id)

    invited = api.members.add(workspace.id, email=colleague_user.email)
    assert isinstance(invited, InvitationSent) and invited.status.value == "pending"
    with pytest.raises(NotFound):
        colleague.workspaces.get(workspace.id)
    _verify_email(client_database, colleague_user.id)
    [received] = list(colleague.invitations.iter())
    assert (received.id, received.workspace_name) == (invited.id, workspace.name)
    member = colleague.invitations.accept(invited.id)
    assert isinstance(member, Member)
    assert (member.user_id, member.role.value, member.email) == (
        colleague_user.id,
        "member",
        colleague_user.email,
    )
    assert colleague.workspaces.get(workspace.id).id == workspace.id
    with pytest.raises(PermissionDenied) as denied:
        colleague.workspaces.update(workspace.id, name="Mine now")
    assert (denied.value.status_code, denied.value.code) == (403, "forbidden")

    promoted = api.members.update(workspace.id, colleague_user.id, role="admin")
    assert promoted.role.value == "admin"
    roles = {m.user_id: m.role.value for m in api.members.list(workspace.id)}
    assert roles[colleague_user.id] == "admin"
    assert len(list(api.members.iter(workspace.id, limit=1))) == 2

    assert api.members.remove(workspace.id, colleague_user.id) is None
    with pytest.raises(NotFound):
        colleague.workspaces.get(workspace.id)

    # create/delete are the same operations under the names every other namespace uses; adding
    # by user_id is off on this server (PLATFORM_DIRECT_MEMBERSHIP).
    guest = clients.signed_up("guest").me()
    with pytest.raises(PermissionDenied) as direct:
        api.members.create(workspace.id, user_id=guest.id)
    assert direct.value.code == "direct_membership_disabled"
    sent = api.invitations.create(workspace.id, "Someone@Example.com", role="admin")
    assert (sent.email, sent.role.value) == ("someone@example.com", "admin")
    listed = api.invitations.list_for_workspace(workspace.id, status="pending")
    assert [i.id for i in listed] == [sent.id]
    assert api.invitations.revoke(workspace.id, sent.id).status.value == "revoked"
    assert [m.user_id for m in api.members.iter(workspace.id)] == [api.me().id]


def test_projects(api: Any, workspace: Any) -> None:
    project = api.projects.create(workspace.id, "Website", description="the public site")
    assert isinstance(project, Project)
    assert (project.name, project.title, project.status.value) == ("Website", "Website", "active")
    legacy = api.projects.create(workspace_id=workspace.id, title="Legacy title")
    assert legacy.name == "Legacy title"
    assert api.projects.get(workspace.id, project.id) == project

    updated = api.projects.update(workspace.id, project.id, name="Site", status="paused")
    assert (updated.name, updated.status.value) == ("Site", "paused")

    api.issues.create(workspace.id, "Ship it", project_id=project.id, status="done")
    api.issues.create(workspace.id, "Test it", project_id=project.id)
    stats = api.projects.stats(workspace.id, project.id)
    assert isinstance(stats, ProjectStats)
    assert (stats.total, stats.done, stats.open, stats.completion_ratio) == (2, 1, 1, 0.5)

    assert {p.name for p in api.projects.list(workspace.id)} == {"Site", "Legacy title"}
    assert len(list(api.projects.iter(workspace.id, limit=1))) == 2
    api.projects.delete(workspace.id, project.id)
    with pytest.raises(NotFound):
        api.projects.get(workspace.id, project.id)


def test_agents(api: Any, workspace: Any) -> None:
    agent = api.agents.create(
        workspace.id, "Reviewer", instructions="review pull requests", config={"model": "small"}
    )
    assert isinstance(agent, Agent)
    assert (agent.name, agent.status.value, agent.config) == (
        "Reviewer",
        "idle",
        {"model": "small"},
    )
    assert api.agents.get(workspace.id, agent.id) == agent

    busy = api.agents.update(workspace.id, agent.id, status="working", max_concurrent_tasks=3)
    assert (busy.status.value, busy.max_concurrent_tasks) == ("working", 3)
    api.agents.create(workspace.id, "Idler")
    assert [a.name for a in api.agents.list(workspace.id, status="active")] == ["Reviewer"]
    assert {a.name for a in api.agents.iter(workspace.id, limit=1)} == {"Reviewer", "Idler"}

    api.agents.delete(workspace.id, agent.id)
    with pytest.raises(NotFound):
        api.agents.get(workspace.id, agent.id)


def test_invalid_input_is_a_validation_error_with_the_servers_message(
    api: Any, workspace: Any
) -> None:
    with pytest.raises(ValidationError) as invalid:
        api.labels.create(workspace.id, "bug", color="red")
    assert (invalid.value.status_code, invalid.value.code) == (422, "validation_failed")
    assert str(invalid.value).startswith("color: String should match pattern")
    assert isinstance(invalid.value.detail, list)

    with pytest.raises(ValidationError) as empty_id:
        api.workspaces.get("")
    assert (empty_id.value.status_code, empty_id.value.code) == (None, "invalid_argument")
