"""Checks that an id given in a request names something in the same workspace (else 422)."""

from __future__ import annotations

import re
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.errors import NotFound, ValidationFailed
from praisonai_platform.db.models import Agent, Issue, Member, Project, Workspace
from praisonai_platform.workspaces.permissions import Access

WorkspaceOwned = TypeVar("WorkspaceOwned", Agent, Project)

ISSUE_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9]{0,19})-(\d{1,9})$")


async def resolve_issue(
    session: AsyncSession, access: Access, ref: str, *, lock: bool = False
) -> Issue:
    """The issue `ref` names in this workspace (in a URL): its id, its key at birth (ENG-42), or
    the workspace's current prefix with its number. Anything else is NotFound."""
    issue = await _find_issue(session, access.workspace, ref, lock=lock)
    if issue is None:
        raise NotFound("issue not found")
    return issue


async def issue_in_workspace(
    session: AsyncSession, workspace: Workspace, ref: str, field: str
) -> Issue:
    """An issue referenced from a request body (parent, dependency target), by id or key."""
    issue = await _find_issue(session, workspace, ref)
    if issue is None:
        raise ValidationFailed(
            f"{field}: no such issue in this workspace", code="invalid_reference"
        )
    return issue


async def _find_issue(
    session: AsyncSession, workspace: Workspace, ref: str, *, lock: bool = False
) -> Issue | None:
    statement = select(Issue).where(Issue.workspace_id == workspace.id)
    key = ISSUE_KEY.match(ref)
    if key is not None:
        prefix, number = key.group(1).upper(), int(key.group(2))
        statement = statement.where(Issue.issue_number == number)
    else:
        statement = statement.where(Issue.id == ref)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    issue = await session.scalar(statement)
    if issue is None or key is None:
        return issue
    born_with = issue.identifier.rsplit("-", 1)[0].upper()
    return issue if prefix in (workspace.issue_prefix.upper(), born_with) else None


async def ensure_member_user(
    session: AsyncSession, workspace_id: str, user_id: str, field: str
) -> None:
    found = await session.scalar(
        select(Member.id).where(Member.workspace_id == workspace_id, Member.user_id == user_id)
    )
    if found is None:
        raise ValidationFailed(
            f"{field}: no member of this workspace has this id", code="invalid_reference"
        )


async def ensure_agent(
    session: AsyncSession, workspace_id: str, agent_id: str, field: str
) -> Agent:
    return await _in_workspace(session, Agent, workspace_id, agent_id, field, "agent")


async def ensure_project(
    session: AsyncSession, workspace_id: str, project_id: str, field: str
) -> Project:
    return await _in_workspace(session, Project, workspace_id, project_id, field, "project")


async def _in_workspace(
    session: AsyncSession,
    model: type[WorkspaceOwned],
    workspace_id: str,
    entity_id: str,
    field: str,
    noun: str,
) -> WorkspaceOwned:
    found = await session.scalar(
        select(model).where(model.workspace_id == workspace_id, model.id == entity_id)
    )
    if found is None:
        raise ValidationFailed(
            f"{field}: no {noun} in this workspace has this id", code="invalid_reference"
        )
    return found
