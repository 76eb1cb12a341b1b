"""Issues: numbered work items of a workspace, assigned to a member or an agent.

The API speaks `assignee_type` + `assignee_id` and `creator_type` + `creator_id`; the table keeps
one foreign key per kind (a user column and an agent column), so each id is checked against the
right table.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields as dataclass_fields
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import NotFound, PreconditionFailed, ValidationFailed
from praisonai_platform.core.paging import Page, PageRequest, paginate
from praisonai_platform.db.models import ActorType, Issue, IssuePriority, IssueStatus, Workspace
from praisonai_platform.db.rows import insert_row
from praisonai_platform.db.types import new_id
from praisonai_platform.issues import queries as issue_queries
from praisonai_platform.workspaces.counters import take_issue_number
from praisonai_platform.workspaces.permissions import Action, workspace_access
from praisonai_platform.workspaces.references import (
    ensure_agent,
    ensure_member_user,
    ensure_project,
    issue_in_workspace,
    resolve_issue,
)

# Fields a PATCH may change, named as the API names them.
_PLAIN_FIELDS = ("title", "description", "status", "priority", "acceptance_criteria")


async def create(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    *,
    title: str,
    description: str | None = None,
    project_id: str | None = None,
    status: IssueStatus = IssueStatus.BACKLOG,
    priority: IssuePriority = IssuePriority.MEDIUM,
    assignee_type: str | None = None,
    assignee_id: str | None = None,
    parent_issue_id: str | None = None,
    acceptance_criteria: list[str] | None = None,
) -> Issue:
    access = await workspace_access(session, actor, workspace_id, Action.ISSUE_CREATE)
    if project_id is not None:
        await ensure_project(session, workspace_id, project_id, "project_id")
    parent_id = None
    if parent_issue_id is not None:
        parent = await issue_in_workspace(
            session, access.workspace, parent_issue_id, "parent_issue_id"
        )
        parent_id = parent.id
    user_assignee, agent_assignee = await _assignee_columns(
        session, workspace_id, assignee_type, assignee_id
    )
    number, identifier = await take_issue_number(session, workspace_id)
    issue = Issue(
        id=new_id(),
        workspace_id=workspace_id,
        project_id=project_id,
        parent_id=parent_id,
        title=title,
        description=description,
        status=status,
        priority=priority,
        assignee_id=user_assignee,
        assignee_agent_id=agent_assignee,
        created_by_id=None if actor.is_agent else actor.user_id,
        created_by_agent_id=actor.id if actor.is_agent else None,
        issue_number=number,
        identifier=identifier,
        acceptance_criteria=acceptance_criteria,
    )
    # Creating issues is the busiest write: Core INSERTs rather than the ORM's unit of work.
    await insert_row(session, issue)
    await activity.insert(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="issue",
        entity_id=issue.id,
        issue_id=issue.id,
        action="created",
        details=_created_details(identifier, title, parent_id),
    )
    return issue


def _created_details(identifier: str, title: str, parent_id: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"identifier": identifier, "title": title}
    if parent_id is not None:  # so that the parent's page follows its new sub-issue
        details["parent_issue_id"] = parent_id
    return details


async def get(session: AsyncSession, actor: Actor, workspace_id: str, ref: str) -> Issue:
    access = await workspace_access(session, actor, workspace_id, Action.ISSUE_READ)
    return await resolve_issue(session, access, ref)


async def list_issues(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    filters: issue_queries.IssueFilters,
    page: PageRequest,
    *,
    sort: str = "number",
) -> Page[Issue]:
    await workspace_access(session, actor, workspace_id, Action.ISSUE_READ)
    where = await issue_queries.list_conditions(session, workspace_id, filters)
    statement = select(Issue).where(Issue.workspace_id == workspace_id, *where)
    order = await issue_queries.list_order(session, workspace_id, filters, sort)
    return await paginate(session, statement, order, page)


async def get_row(session: AsyncSession, actor: Actor, workspace_id: str, ref: str) -> Row[Any]:
    """`get` as a row of `issue_queries.ANSWER_COLUMNS`, for an answer that only shows it."""
    access = await workspace_access(session, actor, workspace_id, Action.ISSUE_READ)
    row = await issue_queries.answer_row(session, access.workspace, ref)
    if row is None:
        raise NotFound("issue not found")
    return row


def _unfiltered(filters: issue_queries.IssueFilters) -> bool:
    """Whether the filters keep every issue (as `issue_queries.conditions` reads them)."""
    return all(
        not value if isinstance(value, Sequence | None) else False
        for value in (getattr(filters, field.name) for field in dataclass_fields(filters))
    )


async def list_rows(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    filters: issue_queries.IssueFilters,
    page: PageRequest,
    *,
    sort: str = "number",
) -> Page[Row[Any]]:
    """`list_issues` as rows of `issue_queries.ANSWER_COLUMNS`, for answers."""
    await workspace_access(session, actor, workspace_id, Action.ISSUE_READ)
    if _unfiltered(filters):
        plain = await issue_queries.plain_page(session, workspace_id, sort, page)
        if plain is not None:
            return plain
    where = await issue_queries.list_conditions(session, workspace_id, filters)
    statement = issue_queries.answer_rows(workspace_id).where(*where)
    order = await issue_queries.list_order(session, workspace_id, filters, sort)
    return await paginate(session, statement, order, page, scalars=False)


async def children(
    session: AsyncSession, actor: Actor, workspace_id: str, ref: str, page: PageRequest
) -> Page[Issue]:
    access = await workspace_access(session, actor, workspace_id, Action.ISSUE_READ)
    parent = await resolve_issue(session, access, ref)
    statement = select(Issue).where(
        Issue.workspace_id == workspace_id, Issue.parent_id == parent.id
    )
    return await paginate(session, statement, issue_queries.sort_keys("number"), page)


async def update(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    ref: str,
    changes: dict[str, Any],
    *,
    expected_versions: Collection[int] | None = None,
) -> Issue:
    """Apply the fields in `changes` (API names); with `expected_versions`, the issue's
    version must be one of them (an empty collection matches nothing)."""
    access = await workspace_access(session, actor, workspace_id, Action.ISSUE_UPDATE)
    issue = await resolve_issue(session, access, ref, lock=True)
    _require_version(issue, expected_versions)
    values = {name: changes[name] for name in _PLAIN_FIELDS if name in changes}
    if changes.get("project_id") is not None:
        await ensure_project(session, workspace_id, changes["project_id"], "project_id")
    if "project_id" in changes:
        values["project_id"] = changes["project_id"]
    if "parent_issue_id" in changes:
        # Two moves that each look fine alone (A under B, B under A) must not both commit: the
        # workspace lock serialises every change of parent in the workspace.
        await workspace_access(session, actor, workspace_id, Action.ISSUE_UPDATE, lock=True)
        values["parent_id"] = await _checked_parent(
            session, access.workspace, issue, changes["parent_issue_id"]
        )
    assignee_before = _assignee(issue)
    if "assignee_id" in changes or changes.get("assignee_type") is not None:
        kind, assignee_id = _requested_assignee(issue, changes)
        if (kind, assignee_id) != assignee_before:
            user_assignee, agent_assignee = await _assignee_columns(
                session, workspace_id, kind, assignee_id
            )
            values.update(assignee_id=user_assignee, assignee_agent_id=agent_assignee)
    changed = activity.apply_changes(issue, values)
    if not changed:
        return issue
    changed.pop("assignee_id", None)
    changed.pop("assignee_agent_id", None)
    for name, before, after in zip(
        ("assignee_type", "assignee_id"), assignee_before, _assignee(issue), strict=True
    ):
        if before != after:
            changed[name] = [before, after]
    if "parent_id" in changed:
        changed["parent_issue_id"] = changed.pop("parent_id")
    _record(session, actor, issue, "updated", {"changes": changed})
    await session.flush()
    return issue


async def delete(session: AsyncSession, actor: Actor, workspace_id: str, ref: str) -> None:
    """Comments, label links, dependencies and runs go with the issue; children become
    top-level (foreign key rules)."""
    access = await workspace_access(session, actor, workspace_id, Action.ISSUE_DELETE)
    issue = await resolve_issue(session, access, ref, lock=True)
    access.require(Action.ISSUE_DELETE, own=_is_own(issue, actor))
    _record(
        session, actor, issue, "deleted", {"identifier": issue.identifier, "title": issue.title}
    )
    await session.delete(issue)
    await session.flush()


def _record(
    session: AsyncSession, actor: Actor, issue: Issue, action: str, details: dict[str, Any]
) -> None:
    activity.record(
        session,
        actor,
        workspace_id=issue.workspace_id,
        entity_type="issue",
        entity_id=issue.id,
        issue_id=issue.id,
        action=action,
        details=details,
    )


def _is_own(issue: Issue, actor: Actor) -> bool:
    if actor.is_agent:
        return issue.created_by_agent_id == actor.id
    return issue.created_by_id == actor.user_id


def _require_version(issue: Issue, expected_versions: Collection[int] | None) -> None:
    if expected_versions is None or issue.version in expected_versions:
        return
    raise PreconditionFailed(
        f'the issue has changed since you read it: its ETag is now "{issue.version}"',
        code="precondition_failed",
    )


def _assignee(issue: Issue) -> tuple[str | None, str | None]:
    if issue.assignee_agent_id is not None:
        return ActorType.AGENT.value, issue.assignee_agent_id
    if issue.assignee_id is not None:
        return ActorType.USER.value, issue.assignee_id
    return None, None


def _requested_assignee(issue: Issue, changes: dict[str, Any]) -> tuple[str | None, str | None]:
    """The assignee a PATCH asks for; what it leaves out is taken from the issue, except that a
    new assignee_id without assignee_type names a user (as in 0.1.9)."""
    current_kind, current_id = _assignee(issue)
    assignee_id = changes.get("assignee_id", current_id)
    kind = changes.get("assignee_type")
    if kind is None:
        kind = ActorType.USER.value if "assignee_id" in changes else current_kind
    if assignee_id is None:
        return None, None
    return str(kind), assignee_id


async def _assignee_columns(
    session: AsyncSession, workspace_id: str, kind: str | None, assignee_id: str | None
) -> tuple[str | None, str | None]:
    """(user assignee, agent assignee) for the columns, after checking the id in the workspace."""
    if assignee_id is None:
        return None, None
    if kind == ActorType.AGENT:
        await ensure_agent(session, workspace_id, assignee_id, "assignee_id")
        return None, assignee_id
    if kind not in (None, ActorType.USER):
        raise ValidationFailed("assignee_type must be user or agent", code="invalid_value")
    await ensure_member_user(session, workspace_id, assignee_id, "assignee_id")
    return assignee_id, None


async def _checked_parent(
    session: AsyncSession, workspace: Workspace, issue: Issue, ref: str | None
) -> str | None:
    """The id of the new parent, refused if it would put the issue inside its own subtree."""
    if ref is None:
        return None
    parent = await issue_in_workspace(session, workspace, ref, "parent_issue_id")
    if parent.id == issue.id or await _is_ancestor(session, issue.id, of=parent.id):
        raise ValidationFailed(
            "parent_issue_id: an issue cannot be nested under itself or its own sub-issues",
            code="parent_cycle",
        )
    return parent.id


async def _is_ancestor(session: AsyncSession, candidate: str, *, of: str) -> bool:
    """Whether `candidate` is `of` or above it in its parent chain (one recursive query)."""
    chain = select(Issue.id, Issue.parent_id).where(Issue.id == of).cte("chain", recursive=True)
    above = aliased(Issue)
    chain = chain.union(
        select(above.id, above.parent_id).join(chain, above.id == chain.c.parent_id)
    )
    found = await session.scalar(select(chain.c.id).where(chain.c.id == candidate).limit(1))
    return found is not None
