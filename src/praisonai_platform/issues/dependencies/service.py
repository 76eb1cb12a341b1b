"""Dependencies between issues of one workspace, refusing any cycle of blocking.

`A blocks B` and `B blocked_by A` state the same edge of the blocking graph (A before B); a
`related` dependency is not part of that graph.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import Select, String, and_, case, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Conflict, NotFound, ValidationFailed
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import DependencyType, IssueDependency
from praisonai_platform.db.types import new_id
from praisonai_platform.workspaces.permissions import Action, workspace_access
from praisonai_platform.workspaces.references import issue_in_workspace, resolve_issue

Direction = Literal["outgoing", "incoming", "both"]

_MIRROR = {
    DependencyType.BLOCKS: DependencyType.BLOCKED_BY,
    DependencyType.BLOCKED_BY: DependencyType.BLOCKS,
    DependencyType.RELATED: DependencyType.RELATED,
}


async def create(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    issue_ref: str,
    *,
    depends_on_ref: str,
    dependency_type: DependencyType,
) -> IssueDependency:
    # The workspace row lock serialises dependency changes in the workspace, so two requests
    # cannot each pass the cycle check with one half of a cycle (PostgreSQL; SQLite's writers
    # are serialised anyway).
    access = await workspace_access(
        session, actor, workspace_id, Action.DEPENDENCY_MANAGE, lock=True
    )
    issue = await resolve_issue(session, access, issue_ref)
    target = await issue_in_workspace(
        session, access.workspace, depends_on_ref, "depends_on_issue_id"
    )
    if target.id == issue.id:
        raise ValidationFailed("an issue cannot depend on itself", code="self_dependency")
    if await session.scalar(_same_dependency(issue.id, target.id, dependency_type)):
        raise Conflict("this dependency exists", code="dependency_exists")
    edge = _blocking_edge(issue.id, target.id, dependency_type)
    if edge is not None and await _blocks_transitively(session, edge[1], edge[0]):
        raise ValidationFailed(
            "this dependency would close a cycle of blocking issues", code="dependency_cycle"
        )
    dependency = IssueDependency(
        id=new_id(), issue_id=issue.id, depends_on_id=target.id, dependency_type=dependency_type
    )
    try:
        async with session.begin_nested():
            session.add(dependency)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("this dependency exists", code="dependency_exists") from exc
    activity.record(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="dependency",
        entity_id=dependency.id,
        issue_id=issue.id,
        action="created",
        details={"depends_on_issue_id": target.id, "type": dependency_type.value},
    )
    await session.flush()
    return dependency


async def list_for(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    issue_ref: str,
    page: PageRequest,
    *,
    direction: Direction = "outgoing",
) -> Page[IssueDependency]:
    """The issue's own dependencies (`outgoing`), those naming it (`incoming`), or `both`."""
    access = await workspace_access(session, actor, workspace_id, Action.ISSUE_READ)
    issue = await resolve_issue(session, access, issue_ref)
    sides = {
        "outgoing": IssueDependency.issue_id == issue.id,
        "incoming": IssueDependency.depends_on_id == issue.id,
        "both": or_(
            IssueDependency.issue_id == issue.id, IssueDependency.depends_on_id == issue.id
        ),
    }
    statement = select(IssueDependency).where(sides[direction])
    order = [
        SortKey("created_at", IssueDependency.created_at, kind=datetime),
        SortKey("id", IssueDependency.id),
    ]
    return await paginate(session, statement, order, page)


async def delete(
    session: AsyncSession, actor: Actor, workspace_id: str, issue_ref: str, dependency_id: str
) -> None:
    """Remove a dependency of the issue, from either side of it (as 0.1.9 allowed)."""
    access = await workspace_access(session, actor, workspace_id, Action.DEPENDENCY_MANAGE)
    issue = await resolve_issue(session, access, issue_ref)
    dependency = await session.scalar(
        select(IssueDependency).where(
            IssueDependency.id == dependency_id,
            or_(IssueDependency.issue_id == issue.id, IssueDependency.depends_on_id == issue.id),
        )
    )
    if dependency is None:
        raise NotFound("dependency not found")
    await session.delete(dependency)
    activity.record(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="dependency",
        entity_id=dependency.id,
        issue_id=issue.id,
        action="deleted",
        details={
            "issue_id": dependency.issue_id,
            "depends_on_issue_id": dependency.depends_on_id,
            "type": dependency.dependency_type.value,
        },
    )
    await session.flush()


def _blocking_edge(
    issue_id: str, other_id: str, dependency_type: DependencyType
) -> tuple[str, str] | None:
    """(blocker, blocked) for a blocking dependency, None for `related`."""
    if dependency_type is DependencyType.BLOCKS:
        return issue_id, other_id
    if dependency_type is DependencyType.BLOCKED_BY:
        return other_id, issue_id
    return None


def _same_dependency(issue_id: str, other_id: str, dependency_type: DependencyType) -> Select[str]:
    """The dependency as stated, or stated from the other issue's side."""
    return select(IssueDependency.id).where(
        or_(
            and_(
                IssueDependency.issue_id == issue_id,
                IssueDependency.depends_on_id == other_id,
                IssueDependency.dependency_type == dependency_type,
            ),
            and_(
                IssueDependency.issue_id == other_id,
                IssueDependency.depends_on_id == issue_id,
                IssueDependency.dependency_type == _MIRROR[dependency_type],
            ),
        )
    )


async def _blocks_transitively(session: AsyncSession, start: str, goal: str) -> bool:
    """Whether `start` blocks `goal` through a chain of blocking edges.

    One recursive query walks the graph from `start`. UNION (not UNION ALL) keeps each issue once,
    so the walk ends on cycles and visits at most the issues linked to `start` in its workspace.
    """
    dep = IssueDependency
    blocks = dep.dependency_type == DependencyType.BLOCKS
    blocked_by = dep.dependency_type == DependencyType.BLOCKED_BY
    reach = select(literal(start, String()).label("node")).cte("reach", recursive=True)
    step = (
        select(case((blocks, dep.depends_on_id), else_=dep.issue_id))
        .select_from(dep)
        .join(
            reach,
            or_(
                and_(blocks, dep.issue_id == reach.c.node),
                and_(blocked_by, dep.depends_on_id == reach.c.node),
            ),
        )
    )
    reach = reach.union(step)
    found = await session.scalar(select(reach.c.node).where(reach.c.node == goal).limit(1))
    return found is not None
