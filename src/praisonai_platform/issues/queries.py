"""Which issues a list shows and in what order: filters and sort keys."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Interval,
    Row,
    Select,
    String,
    Table,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import InternalTraversal

from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.core.paging import (
    Page,
    PageRequest,
    SortExpression,
    SortKey,
    cursor_after,
)
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
from praisonai_platform.issues.responses import actor_kind
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


# ── Rows for answers ────────────────────────────────────────────────────────────────────────
# The issue routes answer from Core rows: loading ORM objects (identity map, instrumentation) for
# a page of issues that is only read costs more than reading it.

_issues = cast(Table, Issue.__table__)
_links = cast(Table, IssueLabelLink.__table__)
_labels = cast(Table, IssueLabel.__table__)


def _as_stored(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` as the driver returns it, without the column type's conversion per value (the
    response model reads the plain values; `issue_answer` finishes the timestamps)."""
    return type_coerce(column, String()).label(column.key)


# What an answer shows of an issue, in the order `issue_answer` reads it.
ANSWER_COLUMNS = (
    _issues.c.id,
    _issues.c.workspace_id,
    _issues.c.project_id,
    _issues.c.title,
    _issues.c.description,
    _as_stored(_issues.c.status),
    _as_stored(_issues.c.priority),
    _issues.c.assignee_id,
    _issues.c.assignee_agent_id,
    _issues.c.created_by_id,
    _issues.c.created_by_agent_id,
    _issues.c.issue_number,
    _issues.c.identifier,
    _issues.c.parent_id,
    _issues.c.acceptance_criteria,
    _issues.c.version,
    _as_stored(_issues.c.created_at),
    _as_stored(_issues.c.updated_at),
)


def labels_column(dialect: str) -> ColumnElement[Any]:
    """The labels of each issue of a statement over `issues`, ordered by name then id, as one
    JSON array of [id, name, colour] (a correlated subquery: no query of its own)."""
    if dialect == "postgresql":
        element = func.json_build_array(_labels.c.id, _labels.c.name, _labels.c.color)
        return (
            select(
                func.coalesce(
                    func.json_agg(aggregate_order_by(element, _labels.c.name, _labels.c.id)),
                    literal_column("'[]'::json"),
                )
            )
            .select_from(_links.join(_labels, _labels.c.id == _links.c.label_id))
            .where(_links.c.issue_id == _issues.c.id)
            .correlate(_issues)
            .scalar_subquery()
        )
    # SQLite (3.40 has no ORDER BY inside an aggregate): aggregated from an ordered subquery.
    ordered = (
        select(_labels.c.id, _labels.c.name, _labels.c.color)
        .select_from(_links.join(_labels, _labels.c.id == _links.c.label_id))
        .where(_links.c.issue_id == _issues.c.id)
        .order_by(_labels.c.name, _labels.c.id)
        .correlate(_issues)
        .subquery("issue_labels_in_order")
    )
    return (
        select(
            func.json_group_array(func.json_array(ordered.c.id, ordered.c.name, ordered.c.color))
        )
        .correlate(_issues)
        .scalar_subquery()
    )


def answer_rows(workspace_id: str) -> Select[Any]:
    """The answer columns of the workspace's issues, to be filtered and paged; their labels come
    from `label_answers`. (Not `labels_column`: a list whose order no index gives would compute
    it for every match before sorting, not just for the page.)"""
    return select(*ANSWER_COLUMNS).where(_issues.c.workspace_id == workspace_id)


@functools.cache
def _plain_page(descending: bool) -> Select[Any]:
    """A page of the workspace's issues by number, unfiltered: the statement `paginate` builds
    for it, built once, with the workspace, limit and offset as parameters."""
    number = _issues.c.issue_number
    return (
        select(*ANSWER_COLUMNS, number.label("_k0"))
        .where(_issues.c.workspace_id == bindparam("workspace_id"))
        .order_by(number.desc() if descending else number.asc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


async def plain_page(
    session: AsyncSession, workspace_id: str, sort: str, page: PageRequest
) -> Page[Row[Any]] | None:
    """The page of an unfiltered list by number read with a statement built once, or None when
    the list is not that (filters, another sort, a cursor or a count: `paginate` reads it)."""
    if page.cursor is not None or page.count or sort not in ("number", "-number"):
        return None
    connection = await session.connection()
    rows = (
        await connection.execute(
            _plain_page(sort == "-number"),
            {"workspace_id": workspace_id, "limit": page.limit + 1, "offset": page.offset},
        )
    ).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = cursor_after(sort_keys(sort), rows[-1][-1:]) if more and rows else None
    return Page(
        items=rows, total=None, next_cursor=next_cursor, limit=page.limit, offset=page.offset
    )


_LABELS_OF = (
    select(_links.c.issue_id, _labels.c.id, _labels.c.name, _labels.c.color)
    .join(_labels, _labels.c.id == _links.c.label_id)
    .where(_links.c.issue_id.in_(bindparam("issue_ids", expanding=True)))
    .order_by(_labels.c.name, _labels.c.id)
)


async def label_answers(
    session: AsyncSession, issue_ids: Sequence[str]
) -> dict[str, list[dict[str, str]]]:
    """The labels of each issue (id, name, colour), by name: one query for a page."""
    found: dict[str, list[dict[str, str]]] = {issue_id: [] for issue_id in issue_ids}
    if not found:
        return found
    connection = await session.connection()
    rows = await connection.execute(_LABELS_OF, {"issue_ids": list(found)})
    for issue_id, label_id, name, color in rows:
        found[issue_id].append({"id": label_id, "name": name, "color": color})
    return found


@functools.cache
def _one_issue(dialect: str, by: str) -> Select[Any]:
    """One issue's answer row, its labels included, by its number or its id (built once per
    database kind)."""
    column = _issues.c.issue_number if by == "number" else _issues.c.id
    return select(*ANSWER_COLUMNS, labels_column(dialect)).where(
        _issues.c.workspace_id == bindparam("workspace_id"), column == bindparam("ref")
    )


async def answer_row(session: AsyncSession, workspace: Workspace, ref: str) -> Row[Any] | None:
    """The answer row of the issue `ref` names in `workspace`: its id, its key at birth
    (ENG-42), or the workspace's current prefix with its number (as `workspaces.references`
    finds it)."""
    connection = await session.connection()
    dialect = connection.dialect.name
    key = ISSUE_KEY.match(ref)
    if key is None:
        found = await connection.execute(
            _one_issue(dialect, "id"), {"workspace_id": workspace.id, "ref": ref}
        )
        by_id: Row[Any] | None = found.first()
        return by_id
    prefix, number = key.group(1).upper(), int(key.group(2))
    found = await connection.execute(
        _one_issue(dialect, "number"), {"workspace_id": workspace.id, "ref": number}
    )
    row = found.first()
    if row is None:
        return None
    born_with = row.identifier.rsplit("-", 1)[0].upper()
    return row if prefix in (workspace.issue_prefix.upper(), born_with) else None


def _utc(value: Any) -> Any:
    """A stored timestamp as the response model reads it: SQLite keeps naive UTC text, which
    is marked UTC (`Z`); PostgreSQL's driver hands back aware datetimes, put in UTC."""
    if isinstance(value, str):
        return value + "Z"
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _labels_of(value: Any) -> list[dict[str, str]]:
    """`labels_column`'s value as the answer shows it."""
    found = json.loads(value) if isinstance(value, str | bytes) else value
    return [{"id": label[0], "name": label[1], "color": label[2]} for label in found or ()]


def issue_answer(row: Sequence[Any], labels: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """An issue as the API shows it (an `IssueResponse`'s fields), from a row of the answer
    columns followed, unless `labels` are given, by `labels_column`."""
    (
        issue_id,
        workspace_id,
        project_id,
        title,
        description,
        status,
        priority,
        assignee_id,
        assignee_agent_id,
        created_by_id,
        created_by_agent_id,
        number,
        identifier,
        parent_id,
        acceptance_criteria,
        version,
        created_at,
        updated_at,
    ) = row[: len(ANSWER_COLUMNS)]
    if labels is None:
        labels = _labels_of(row[len(ANSWER_COLUMNS)])
    return {
        "id": issue_id,
        "workspace_id": workspace_id,
        "project_id": project_id,
        "title": title,
        "description": description,
        "status": status,
        "priority": priority,
        "assignee_type": actor_kind(assignee_id, assignee_agent_id),
        "assignee_id": assignee_id or assignee_agent_id,
        "creator_type": actor_kind(created_by_id, created_by_agent_id),
        "creator_id": created_by_id or created_by_agent_id,
        "number": number,
        "issue_number": number,
        "identifier": identifier,
        "parent_issue_id": parent_id,
        "created_by_id": created_by_id,
        "acceptance_criteria": acceptance_criteria,
        "labels": labels,
        "version": version,
        "created_at": _utc(created_at),
        "updated_at": _utc(updated_at),
    }
