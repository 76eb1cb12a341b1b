"""Which issues a list shows and in what order: filters and sort keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, or_, select
from sqlalchemy.orm import aliased

from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.core.paging import SortExpression, SortKey
from praisonai_platform.db.models import (
    ActorType,
    Issue,
    IssueLabel,
    IssueLabelLink,
    IssuePriority,
    IssueStatus,
)
from praisonai_platform.workspaces.references import ISSUE_KEY

PRIORITY_RANK = case(
    {priority.value: rank for rank, priority in enumerate(IssuePriority)},
    value=Issue.priority,
    else_=0,
)


@dataclass(frozen=True, slots=True)
class IssueFilters:
    """What a list keeps; every field narrows, a sequence matches any of its values."""

    status: Sequence[IssueStatus] = ()
    priority: Sequence[IssuePriority] = ()
    assignee_id: str | None = None  # a user or agent id, or "none" for unassigned issues
    assignee_type: str | None = None
    creator_id: str | None = None
    project_id: str | None = None
    label: Sequence[str] = ()  # label ids or names
    parent_issue_id: str | None = None  # an issue id or key, or "none" for top-level issues
    updated_since: datetime | None = None
    q: str | None = None


def conditions(workspace_id: str, filters: IssueFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.status:
        where.append(Issue.status.in_(list(filters.status)))
    if filters.priority:
        where.append(Issue.priority.in_(list(filters.priority)))
    if filters.project_id is not None:
        where.append(Issue.project_id == filters.project_id)
    where.extend(_assignee_conditions(filters.assignee_type, filters.assignee_id))
    if filters.creator_id is not None:
        where.append(
            or_(
                Issue.created_by_id == filters.creator_id,
                Issue.created_by_agent_id == filters.creator_id,
            )
        )
    if filters.label:
        labels = list(filters.label)
        labelled = (
            select(IssueLabelLink.issue_id)
            .join(IssueLabel, IssueLabel.id == IssueLabelLink.label_id)
            .where(
                IssueLabel.workspace_id == workspace_id,
                or_(IssueLabel.id.in_(labels), IssueLabel.name.in_(labels)),
            )
        )
        where.append(Issue.id.in_(labelled))
    if filters.parent_issue_id is not None:
        where.append(_parent_condition(workspace_id, filters.parent_issue_id))
    if filters.updated_since is not None:
        where.append(Issue.updated_at >= filters.updated_since)
    if filters.q:
        pattern = "%" + _escape_like(filters.q) + "%"
        where.append(
            or_(
                Issue.title.ilike(pattern, escape="\\"),
                Issue.description.ilike(pattern, escape="\\"),
            )
        )
    return where


def _assignee_conditions(kind: str | None, assignee_id: str | None) -> list[ColumnElement[bool]]:
    columns = {ActorType.USER: Issue.assignee_id, ActorType.AGENT: Issue.assignee_agent_id}
    if kind is not None:
        columns = {ActorType(kind): columns[ActorType(kind)]}
    if assignee_id is None:
        return [] if kind is None else [or_(*(c.is_not(None) for c in columns.values()))]
    if assignee_id.lower() == "none":
        return [Issue.assignee_id.is_(None), Issue.assignee_agent_id.is_(None)]
    return [or_(*(c == assignee_id for c in columns.values()))]


def _parent_condition(workspace_id: str, ref: str) -> ColumnElement[bool]:
    if ref.lower() == "none":
        return Issue.parent_id.is_(None)
    parent = aliased(Issue)
    key = ISSUE_KEY.match(ref)
    named = parent.issue_number == int(key.group(2)) if key else parent.id == ref
    return Issue.parent_id.in_(
        select(parent.id).where(and_(parent.workspace_id == workspace_id, named))
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def sort_keys(sort: str) -> list[SortKey]:
    """The keys of a sort; the first is named after the sort itself so that a cursor from one
    ordering is refused by another."""
    descending = sort.startswith("-")
    field = sort.removeprefix("-")
    first: dict[str, tuple[SortExpression, type]] = {
        "number": (Issue.issue_number, int),
        "created_at": (Issue.created_at, datetime),
        "updated_at": (Issue.updated_at, datetime),
        "priority": (PRIORITY_RANK, int),
    }
    if field not in first:
        raise ValidationFailed(f"cannot sort by {sort!r}", code="invalid_sort")
    expression, kind = first[field]
    keys = [SortKey(sort, expression, descending, kind)]
    if field == "priority":
        keys.append(SortKey("number", Issue.issue_number, kind=int))
    return [*keys, SortKey("id", Issue.id)]
