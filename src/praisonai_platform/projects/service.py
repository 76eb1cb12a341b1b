"""Projects: groupings of issues with an optional lead (a member or an agent of the workspace)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import NotFound, ValidationFailed
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import (
    Agent,
    Issue,
    IssuePriority,
    IssueStatus,
    Member,
    Project,
    ProjectStatus,
)
from praisonai_platform.db.types import new_id
from praisonai_platform.workspaces.permissions import Access, Action, workspace_access
from praisonai_platform.workspaces.references import ensure_agent, ensure_member_user


@dataclass(frozen=True, slots=True)
class ProjectStats:
    project_id: str
    total: int
    done: int
    cancelled: int
    open: int
    completion_ratio: float
    by_status: dict[IssueStatus, int]
    by_priority: dict[IssuePriority, int]


async def create(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    *,
    name: str,
    description: str | None = None,
    icon: str | None = None,
    status: ProjectStatus | None = None,
    lead_type: str | None = None,
    lead_id: str | None = None,
    settings: dict[str, Any] | None = None,
) -> Project:
    await workspace_access(session, actor, workspace_id, Action.PROJECT_CREATE)
    project = Project(
        id=new_id(),
        workspace_id=workspace_id,
        name=name,
        description=description,
        icon=icon,
        status=status or ProjectStatus.ACTIVE,
        settings=settings or {},
        **await _lead_columns(session, workspace_id, lead_type, lead_id),
    )
    session.add(project)
    activity.record(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="project",
        entity_id=project.id,
        action="created",
        details={"name": name},
    )
    await session.flush()
    return project


async def get(session: AsyncSession, actor: Actor, workspace_id: str, project_id: str) -> Project:
    access = await workspace_access(session, actor, workspace_id, Action.PROJECT_READ)
    return await _load(session, access, project_id)


async def list_for(
    session: AsyncSession, actor: Actor, workspace_id: str, page: PageRequest
) -> Page[Project]:
    await workspace_access(session, actor, workspace_id, Action.PROJECT_READ)
    statement = select(Project).where(Project.workspace_id == workspace_id)
    order = [
        SortKey("created_at", Project.created_at, kind=datetime),
        SortKey("id", Project.id),
    ]
    return await paginate(session, statement, order, page)


async def update(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    project_id: str,
    changes: dict[str, Any],
    *,
    lead_type: str | None = None,
) -> Project:
    """Apply `changes` (column names). `lead_id` is resolved with `lead_type`, or inferred;
    an empty `lead_id` removes the lead; `lead_type` alone changes nothing."""
    access = await workspace_access(session, actor, workspace_id, Action.PROJECT_CHANGE)
    project = await _load(session, access, project_id)
    access.require(Action.PROJECT_CHANGE, own=_is_lead(project, actor))
    if "lead_id" in changes:
        changes.update(
            await _lead_columns(session, workspace_id, lead_type, changes.pop("lead_id"))
        )
    changed = activity.apply_changes(project, changes)
    if changed:
        activity.record(
            session,
            actor,
            workspace_id=workspace_id,
            entity_type="project",
            entity_id=project.id,
            action="updated",
            details={"changes": changed},
        )
        await session.flush()
    return project


async def delete(session: AsyncSession, actor: Actor, workspace_id: str, project_id: str) -> None:
    """Delete the project; its issues stay, without a project (the foreign key sets NULL)."""
    access = await workspace_access(session, actor, workspace_id, Action.PROJECT_CHANGE)
    project = await _load(session, access, project_id)
    access.require(Action.PROJECT_CHANGE, own=_is_lead(project, actor))
    await session.delete(project)
    activity.record(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="project",
        entity_id=project.id,
        action="deleted",
        details={"name": project.name},
    )
    await session.flush()


async def stats(
    session: AsyncSession, actor: Actor, workspace_id: str, project_id: str
) -> ProjectStats:
    """Issue counts by status and priority, from one GROUP BY over the project's issues."""
    access = await workspace_access(session, actor, workspace_id, Action.PROJECT_READ)
    project = await _load(session, access, project_id)
    rows = await session.execute(
        select(Issue.status, Issue.priority, func.count())
        .where(Issue.workspace_id == workspace_id, Issue.project_id == project.id)
        .group_by(Issue.status, Issue.priority)
    )
    by_status = dict.fromkeys(IssueStatus, 0)
    by_priority = dict.fromkeys(IssuePriority, 0)
    for status, priority, count in rows:
        by_status[status] += count
        by_priority[priority] += count
    total = sum(by_status.values())
    done, cancelled = by_status[IssueStatus.DONE], by_status[IssueStatus.CANCELLED]
    countable = total - cancelled
    return ProjectStats(
        project_id=project.id,
        total=total,
        done=done,
        cancelled=cancelled,
        open=countable - done,
        completion_ratio=round(done / countable, 4) if countable else 0.0,
        by_status=by_status,
        by_priority=by_priority,
    )


async def _load(session: AsyncSession, access: Access, project_id: str) -> Project:
    project = await session.scalar(
        select(Project).where(Project.workspace_id == access.workspace.id, Project.id == project_id)
    )
    if project is None:
        raise NotFound("project not found")
    return project


def _is_lead(project: Project, actor: Actor) -> bool:
    if actor.is_agent:
        return project.lead_agent_id == actor.id
    return project.lead_id is not None and project.lead_id == actor.user_id


async def _lead_columns(
    session: AsyncSession, workspace_id: str, lead_type: str | None, lead_id: str | None
) -> dict[str, str | None]:
    """The lead as the two columns: a member user in `lead_id`, an agent in `lead_agent_id`."""
    if not lead_id:
        return {"lead_id": None, "lead_agent_id": None}
    if lead_type == "user":
        await ensure_member_user(session, workspace_id, lead_id, "lead_id")
        return {"lead_id": lead_id, "lead_agent_id": None}
    if lead_type == "agent":
        await ensure_agent(session, workspace_id, lead_id, "lead_id")
        return {"lead_id": None, "lead_agent_id": lead_id}
    # No type given: ids are UUIDs, so at most one of the two can match.
    member = await session.scalar(
        select(Member.id).where(Member.workspace_id == workspace_id, Member.user_id == lead_id)
    )
    if member is not None:
        return {"lead_id": lead_id, "lead_agent_id": None}
    agent = await session.scalar(
        select(Agent.id).where(Agent.workspace_id == workspace_id, Agent.id == lead_id)
    )
    if agent is not None:
        return {"lead_id": None, "lead_agent_id": lead_id}
    raise ValidationFailed(
        "lead_id: no member or agent of this workspace has this id", code="invalid_reference"
    )
