"""Which issues a list shows and in what order: filters and sort keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Interval, Select, and_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import InternalTraversal

from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.core.paging import SortExpression, SortKey
from praisonai_platform.db.models import (
    ActorType,
    Issue,
    IssueLabel,
    IssueLabelLink,
    IssuePriority,
    IssueStatus,
    Workspace,
)
from praisonai_platform.db.models.issues import PRIORITY_RANKS
from praisonai_platform.search import terms as search_terms
from praisonai_platform.search.service import issue_matches
from praisonai_platform.search.statements import IssueTextMatch
from praisonai_platform.search.terms import SearchTerms
from praisonai_platform.workspaces.references import ISSUE_KEY


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
        # the stored rank, which the priority sort's indexes lead with
        ranks = sorted({PRIORITY_RANKS[p] for p in filters.priority})
        where.append(Issue.priority_rank.in_(ranks))
        if len(ranks) > 1:
            where.append(RangeForPostgres(Issue.priority_rank.between(ranks[0], ranks[-1])))
    if filters.project_id is not None:
        where.append(Issue.project_id == filters.project_id)
    where.extend(_assignee_conditions(filters.assignee_type, filters.assignee_id))
    if filters.creator_id is not None:
        where.append(Issue.creator_key == filters.creator_id)
    if filters.label:
        where.append(_labelled(_label_ids(workspace_id, filters.label)))
    if filters.parent_issue_id is not None:
        where.append(_parent_condition(workspace_id, filters.parent_issue_id))
    if filters.updated_since is not None:
        where.append(Rare(Issue.updated_at >= filters.updated_since))
    if filters.q:
        terms = search_terms.parse(filters.q)
        where.append(_text_condition(terms, IssueTextMatch(terms)))
    return where


async def list_conditions(
    session: AsyncSession, workspace_id: str, filters: IssueFilters
) -> list[ColumnElement[bool]]:
    """`conditions`, with the words of `q` looked up in the search index first, so that a
    search matching few issues reads just those (see `search.service.issue_matches`)."""
    where = conditions(workspace_id, replace(filters, q=None, label=()))
    if filters.label:
        # The ids first (a small lookup): given as values, PostgreSQL's statistics tell how
        # common each label is, and it plans a walk along the sort's index.
        ids = list(await session.scalars(_label_ids(workspace_id, filters.label)))
        where.append(_labelled(ids))
    if filters.q:
        terms = search_terms.parse(filters.q)
        where.append(_text_condition(terms, await issue_matches(session, workspace_id, terms)))
    return where


class Rare(ColumnElement[bool]):
    """A condition most rows fail, said so to SQLite's planner: `likelihood(x, 0.001)`.

    Without per-value statistics SQLite guesses that a range (`updated_at >= :since`) keeps a
    quarter of the table, and walks the sort's index, skipping nearly everything, instead of
    reading the few matches from the range's index and sorting them. PostgreSQL's histograms
    tell it the truth; there the condition stays as it is.
    """

    inherit_cache = True
    # Not Boolean: SQLite (no boolean type) would get `likelihood(…) = 1`, which no index serves.
    type = NullType()  # type: ignore[assignment]
    # the condition's bound values belong to the statement's cache key
    _traverse_internals = [("condition", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition


@compiles(Rare)
def _rare(element: Rare, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.condition, **kw)


@compiles(Rare, "sqlite")
def _rare_on_sqlite(element: Rare, compiler: SQLCompiler, **kw: Any) -> str:
    return f"likelihood({compiler.process(element.condition, **kw)}, 0.001)"


class RangeForPostgres(ColumnElement[bool]):
    """A range implied by the other conditions, spelled out for PostgreSQL only.

    PostgreSQL 15 reads `rank IN (3, 4)` in index order only one value at a time, so a list
    sorted by priority would walk the index from the lowest priority and skip all of it; the
    range makes the walk start at the first wanted one. SQLite reads an IN list in order by
    itself, and a range would only mislead its guesses (`1` there: true).
    """

    inherit_cache = True
    type = NullType()  # type: ignore[assignment]
    _traverse_internals = [("condition", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition


@compiles(RangeForPostgres)
def _range_elsewhere(_element: RangeForPostgres, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "1"


@compiles(RangeForPostgres, "postgresql")
def _range_on_postgres(element: RangeForPostgres, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.condition, **kw)


def _label_ids(workspace_id: str, labels: Sequence[str]) -> Select[str]:
    """The workspace's labels with these ids or names."""
    return select(IssueLabel.id).where(
        IssueLabel.workspace_id == workspace_id,
        or_(IssueLabel.id.in_(list(labels)), IssueLabel.name.in_(list(labels))),
    )


def _labelled(label_ids: Select[str] | list[str]) -> ColumnElement[bool]:
    """Issues with any of these labels, asked per issue: the list walks its sort's index and
    looks each issue up in the links' (issue_id, label_id) index, rather than gathering every
    issue of a label (a tenth of a workspace, say) and sorting them all."""
    return (
        select(IssueLabelLink.id)
        .where(IssueLabelLink.issue_id == Issue.id, IssueLabelLink.label_id.in_(label_ids))
        .exists()
    )


def _text_condition(terms: SearchTerms, matches: ColumnElement[bool]) -> ColumnElement[bool]:
    """Issues whose title and description hold every word (`matches`), or the issue the terms
    name by key or number."""
    if terms.issue_number is None:
        return matches
    named = Issue.issue_number == terms.issue_number
    if terms.key_prefix is not None:
        current_prefix = select(Workspace.id).where(
            func.upper(Workspace.issue_prefix) == terms.key_prefix
        )
        named = and_(
            named,
            or_(
                func.upper(Issue.identifier) == f"{terms.key_prefix}-{terms.issue_number}",
                Issue.workspace_id.in_(current_prefix),
            ),
        )
    return or_(named, matches)


def _assignee_conditions(kind: str | None, assignee_id: str | None) -> list[ColumnElement[bool]]:
    """On `assignee_key` (the user or agent assigned) where an id is given, so that its index
    serves; the type then narrows to the column of that kind."""
    columns = {ActorType.USER: Issue.assignee_id, ActorType.AGENT: Issue.assignee_agent_id}
    typed: list[ColumnElement[bool]] = (
        [] if kind is None else [columns[ActorType(kind)].is_not(None)]
    )
    if assignee_id is None:
        return typed
    if assignee_id.lower() == "none":
        return [Issue.assignee_key.is_(None)]
    return [Issue.assignee_key == assignee_id, *typed]


def _parent_condition(workspace_id: str, ref: str) -> ColumnElement[bool]:
    if ref.lower() == "none":
        # Most issues are top-level, but SQLite's statistics give parent_id a few rows per
        # value and NULL counts as one: it would read every top-level issue through the
        # parent_id index and sort them. Written so that no index matches, the list walks its
        # sort's index instead (PostgreSQL knows the share of NULLs and does so anyway).
        return func.coalesce(Issue.parent_id, "") == ""
    parent = aliased(Issue)
    key = ISSUE_KEY.match(ref)
    named = parent.issue_number == int(key.group(2)) if key else parent.id == ref
    return Issue.parent_id.in_(
        select(parent.id).where(and_(parent.workspace_id == workspace_id, named))
    )


# Each sort with the tie-breakers that make it total within a workspace (the number is unique
# there); every list is of one workspace, so each matches an index led by the workspace.
_SORTS: dict[str, list[tuple[str, SortExpression, type]]] = {
    "number": [("number", Issue.issue_number, int)],
    "created_at": [("created_at", Issue.created_at, datetime), ("id", Issue.id, str)],
    "updated_at": [("updated_at", Issue.updated_at, datetime), ("id", Issue.id, str)],
    "priority": [("priority", Issue.priority_rank, int), ("number", Issue.issue_number, int)],
}


def sort_keys(sort: str, *, gathered: bool = False) -> list[SortKey]:
    """The keys of a sort, all in its direction (so one index serves both directions).

    The first key is named after the sort itself so that a cursor from one ordering is refused
    by another. `gathered` (PostgreSQL): the first key is written so that no index matches it
    (adding zero), and the database sorts the rows the filters gathered instead of walking the
    sort's index.
    """
    descending = sort.startswith("-")
    field = sort.removeprefix("-")
    if field not in _SORTS:
        raise ValidationFailed(f"cannot sort by {sort!r}", code="invalid_sort")
    first, *rest = _SORTS[field]
    expression: SortExpression = first[1]
    if gathered:
        expression = expression + (
            literal(timedelta(0), Interval()) if first[2] is datetime else literal(0)
        )
    return [
        SortKey(sort, expression, descending, first[2]),
        *(SortKey(name, expression, descending, kind) for name, expression, kind in rest),
    ]


# Fewer recently updated issues than this are gathered and sorted (see `list_order`).
GATHER_AT_MOST = 10_000


async def list_order(
    session: AsyncSession, workspace_id: str, filters: IssueFilters, sort: str
) -> list[SortKey]:
    """The sort keys of a list, gathered first where walking the sort's index would not pay.

    PostgreSQL's planner takes the issues `updated_since` keeps to be spread evenly along every
    other sort's index, so it walks that index and skips what the filter rejects; but what
    changed lately is mostly the newest issues, at the far end of that walk (at a million
    issues it passed ~990,000 rows for one page). When the updated_at index holds fewer than
    GATHER_AT_MOST matches (counting them reads only that index), they are gathered through it
    and sorted instead. SQLite is told how rare the condition is (`Rare`) and needs no help.
    """
    field = sort.removeprefix("-")
    if (
        filters.updated_since is None
        or field == "updated_at"
        or session.get_bind().dialect.name != "postgresql"
    ):
        return sort_keys(sort)
    recent = (
        select(literal(1))
        .where(Issue.workspace_id == workspace_id, Issue.updated_at >= filters.updated_since)
        .limit(GATHER_AT_MOST)
        .subquery()
    )
    found = await session.scalar(select(func.count()).select_from(recent))
    return sort_keys(sort, gathered=(found or 0) < GATHER_AT_MOST)
