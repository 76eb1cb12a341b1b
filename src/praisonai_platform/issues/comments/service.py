"""Comments on issues, written by members or agents; replies point at a comment of the same
issue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import NotFound, ValidationFailed
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import Comment, Issue
from praisonai_platform.db.types import new_id
from praisonai_platform.workspaces.permissions import Access, Action, workspace_access
from praisonai_platform.workspaces.references import resolve_issue


async def create(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    issue_ref: str,
    *,
    content: str,
    parent_id: str | None = None,
) -> Comment:
    access = await workspace_access(session, actor, workspace_id, Action.COMMENT_CREATE)
    issue = await resolve_issue(session, access, issue_ref)
    if parent_id is not None:
        replied_to = await session.scalar(
            select(Comment.id).where(Comment.id == parent_id, Comment.issue_id == issue.id)
        )
        if replied_to is None:
            raise ValidationFailed(
                "parent_id: no comment of this issue has this id", code="invalid_reference"
            )
    comment = Comment(
        id=new_id(),
        issue_id=issue.id,
        parent_id=parent_id,
        content=content,
        author_id=None if actor.is_agent else actor.user_id,
        author_agent_id=actor.id if actor.is_agent else None,
    )
    session.add(comment)
    _record(session, actor, issue, comment, "created", {"identifier": issue.identifier})
    await session.flush()
    return comment


async def list_comments(
    session: AsyncSession, actor: Actor, workspace_id: str, issue_ref: str, page: PageRequest
) -> Page[Comment]:
    """Oldest first."""
    access = await workspace_access(session, actor, workspace_id, Action.COMMENT_READ)
    issue = await resolve_issue(session, access, issue_ref)
    order = [
        SortKey("created_at", Comment.created_at, kind=datetime),
        SortKey("id", Comment.id),
    ]
    return await paginate(session, select(Comment).where(Comment.issue_id == issue.id), order, page)


async def update(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    issue_ref: str,
    comment_id: str,
    *,
    content: str,
) -> Comment:
    """Only the author may edit a comment."""
    issue, comment = await _load(session, actor, workspace_id, issue_ref, comment_id)
    changed = activity.apply_changes(comment, {"content": content})
    if changed:
        _record(session, actor, issue, comment, "updated", {"changes": changed})
        await session.flush()
    return comment


async def delete(
    session: AsyncSession, actor: Actor, workspace_id: str, issue_ref: str, comment_id: str
) -> None:
    """The author or an admin may delete a comment; its replies stay, detached."""
    issue, comment = await _load(session, actor, workspace_id, issue_ref, comment_id, delete=True)
    _record(session, actor, issue, comment, "deleted", {"identifier": issue.identifier})
    await session.delete(comment)
    await session.flush()


async def _load(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    issue_ref: str,
    comment_id: str,
    *,
    delete: bool = False,
) -> tuple[Issue, Comment]:
    action = Action.COMMENT_DELETE if delete else Action.COMMENT_EDIT
    access = await workspace_access(session, actor, workspace_id, action)
    issue = await resolve_issue(session, access, issue_ref)
    comment = await session.scalar(
        select(Comment).where(Comment.id == comment_id, Comment.issue_id == issue.id)
    )
    if comment is None:
        raise NotFound("comment not found")
    access.require(action, own=_is_author(access, comment))
    return issue, comment


def _is_author(access: Access, comment: Comment) -> bool:
    actor = access.actor
    if actor.is_agent:
        return comment.author_agent_id == actor.id
    return comment.author_id == actor.user_id


def _record(
    session: AsyncSession,
    actor: Actor,
    issue: Issue,
    comment: Comment,
    action: str,
    details: dict[str, Any],
) -> None:
    activity.record(
        session,
        actor,
        workspace_id=issue.workspace_id,
        entity_type="comment",
        entity_id=comment.id,
        issue_id=issue.id,
        action=action,
        details=details,
    )
