"""Labels: unique names per workspace, attached to issues idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Conflict, NotFound
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import IssueLabel, IssueLabelLink
from praisonai_platform.db.types import new_id, utcnow
from praisonai_platform.workspaces.permissions import Access, Action, workspace_access
from praisonai_platform.workspaces.references import resolve_issue


async def create(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    *,
    name: str,
    color: str,
    description: str | None = None,
) -> IssueLabel:
    await workspace_access(session, actor, workspace_id, Action.LABEL_CREATE)
    label = IssueLabel(workspace_id=workspace_id, name=name, color=color, description=description)
    await _flush_unique_name(session, label, add=True)
    _record(session, actor, label, "created", {"name": name, "color": color})
    await session.flush()
    return label


async def list_for(
    session: AsyncSession, actor: Actor, workspace_id: str, page: PageRequest
) -> Page[IssueLabel]:
    await workspace_access(session, actor, workspace_id, Action.LABEL_READ)
    statement = select(IssueLabel).where(IssueLabel.workspace_id == workspace_id)
    return await paginate(session, statement, _BY_NAME, page)


async def update(
    session: AsyncSession, actor: Actor, workspace_id: str, label_id: str, changes: dict[str, Any]
) -> IssueLabel:
    access = await workspace_access(session, actor, workspace_id, Action.LABEL_CHANGE)
    label = await _load(session, access, label_id)
    changed = activity.apply_changes(label, changes)
    if changed:
        await _flush_unique_name(session, label)
        _record(session, actor, label, "updated", {"changes": changed})
        await session.flush()
    return label


async def delete(session: AsyncSession, actor: Actor, workspace_id: str, label_id: str) -> None:
    """Delete the label; its links to issues go with it (ON DELETE CASCADE)."""
    access = await workspace_access(session, actor, workspace_id, Action.LABEL_CHANGE)
    label = await _load(session, access, label_id)
    await session.delete(label)
    _record(session, actor, label, "deleted", {"name": label.name})
    await session.flush()


async def attach(
    session: AsyncSession, actor: Actor, workspace_id: str, issue_ref: str, label_ref: str
) -> None:
    """Attach the label (its id or its name) to the issue; attaching it again changes nothing
    and is no error.

    One INSERT … ON CONFLICT DO NOTHING: concurrent attaches never race between a check and the
    insert, and only the one that really inserts writes an activity row.
    """
    access = await workspace_access(session, actor, workspace_id, Action.LABEL_ATTACH)
    issue = await resolve_issue(session, access, issue_ref)
    label = await resolve_label(session, access, label_ref)
    values = {"id": new_id(), "issue_id": issue.id, "label_id": label.id, "created_at": utcnow()}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = await session.scalar(
        dialect.insert(IssueLabelLink)
        .values(values)
        .on_conflict_do_nothing(index_elements=["issue_id", "label_id"])
        .returning(IssueLabelLink.id)
    )
    if inserted is not None:
        _record_link(session, actor, issue.id, label, "label_added")
        await session.flush()


async def detach(
    session: AsyncSession, actor: Actor, workspace_id: str, issue_ref: str, label_ref: str
) -> None:
    access = await workspace_access(session, actor, workspace_id, Action.LABEL_ATTACH)
    issue = await resolve_issue(session, access, issue_ref)
    label = await resolve_label(session, access, label_ref)
    removed = await session.scalar(
        sql_delete(IssueLabelLink)
        .where(IssueLabelLink.issue_id == issue.id, IssueLabelLink.label_id == label.id)
        .returning(IssueLabelLink.id)
    )
    if removed is None:
        raise NotFound("this label is not attached to this issue", code="label_not_attached")
    _record_link(session, actor, issue.id, label, "label_removed")
    await session.flush()


async def list_for_issue(
    session: AsyncSession, actor: Actor, workspace_id: str, issue_ref: str, page: PageRequest
) -> Page[IssueLabel]:
    access = await workspace_access(session, actor, workspace_id, Action.LABEL_READ)
    issue = await resolve_issue(session, access, issue_ref)
    statement = (
        select(IssueLabel)
        .join(IssueLabelLink, IssueLabelLink.label_id == IssueLabel.id)
        .where(IssueLabelLink.issue_id == issue.id)
    )
    return await paginate(session, statement, _BY_NAME, page)


async def labels_of(session: AsyncSession, issue_ids: Sequence[str]) -> dict[str, list[IssueLabel]]:
    """The labels of each issue, by name: one query for a whole page of issues."""
    found: dict[str, list[IssueLabel]] = {issue_id: [] for issue_id in issue_ids}
    if not found:
        return found
    rows = await session.execute(
        select(IssueLabelLink.issue_id, IssueLabel)
        .join(IssueLabel, IssueLabel.id == IssueLabelLink.label_id)
        .where(IssueLabelLink.issue_id.in_(list(found)))
        .order_by(IssueLabel.name, IssueLabel.id)
    )
    for issue_id, label in rows:
        found[issue_id].append(label)
    return found


async def resolve_label(session: AsyncSession, access: Access, ref: str) -> IssueLabel:
    """The label `ref` names in this workspace: its id, else its name (names are unique in a
    workspace, so at most one label has the id and one the name; the id wins)."""
    candidates = (
        await session.scalars(
            select(IssueLabel).where(
                IssueLabel.workspace_id == access.workspace.id,
                or_(IssueLabel.id == ref, IssueLabel.name == ref),
            )
        )
    ).all()
    if not candidates:
        raise NotFound("no label with this id or name in this workspace", code="label_not_found")
    return next((label for label in candidates if label.id == ref), candidates[0])


_BY_NAME = [SortKey("name", IssueLabel.name), SortKey("id", IssueLabel.id)]


async def _load(session: AsyncSession, access: Access, label_id: str) -> IssueLabel:
    label = await session.scalar(
        select(IssueLabel).where(
            IssueLabel.workspace_id == access.workspace.id, IssueLabel.id == label_id
        )
    )
    if label is None:
        raise NotFound("label not found")
    return label


async def _flush_unique_name(
    session: AsyncSession, label: IssueLabel, *, add: bool = False
) -> None:
    """Flush in a savepoint so that a name taken meanwhile is a 409, not a failed transaction."""
    try:
        async with session.begin_nested():
            if add:
                session.add(label)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "a label with this name exists in this workspace", code="label_exists"
        ) from exc


def _record(
    session: AsyncSession, actor: Actor, label: IssueLabel, action: str, details: dict[str, Any]
) -> None:
    activity.record(
        session,
        actor,
        workspace_id=label.workspace_id,
        entity_type="label",
        entity_id=label.id,
        action=action,
        details=details,
    )


def _record_link(
    session: AsyncSession, actor: Actor, issue_id: str, label: IssueLabel, action: str
) -> None:
    activity.record(
        session,
        actor,
        workspace_id=label.workspace_id,
        entity_type="issue",
        entity_id=issue_id,
        issue_id=issue_id,
        action=action,
        details={"label_id": label.id, "label_name": label.name},
    )
