"""Every filter and sort of the issue list is answered from an index, on both backends.

The queries are the ones the list runs (built by the same functions), their plans read with
EXPLAIN QUERY PLAN (SQLite) and EXPLAIN (PostgreSQL). A small table does not make a planner
choose what it chooses at a million rows. SQLite plans from the statistics in `sqlite_stat1`,
so it is given those ANALYZE wrote for a seeded workspace of a million issues (`demo seed`):
it then plans as it does at that size. PostgreSQL is asked whether an index *can* serve the
query: it is told that sequential scans and sorts are prohibitively dear (`enable_seqscan`,
`enable_sort`, `enable_incremental_sort` off), so a plan that still sorts or scans the table
has no index to do better. Timings at scale are the business of benchmarks/scale_bench.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from praisonai_platform.core.enums import IssuePriority, IssueStatus
from praisonai_platform.core.paging import PageRequest, page_statement, paginate
from praisonai_platform.db.models import Issue, Member
from praisonai_platform.db.session import create_session_factory
from praisonai_platform.demo.seed import seed
from praisonai_platform.issues import queries
from praisonai_platform.issues.queries import IssueFilters

SORTS = ["number", "created_at", "updated_at", "priority"]
# What ANALYZE wrote for one workspace of 1,000,000 seeded issues (rows, then rows per value of
# each leading column prefix).
MILLION_ISSUE_STATISTICS = {
    ("issues", "ix_issues_workspace_id_project_id_issue_number"): "1000000 1000000 142858 1",
    ("issues", "ix_issues_workspace_id_creator_key_issue_number"): "1000000 1000000 83334 1",
    ("issues", "ix_issues_workspace_id_assignee_key_issue_number"): "1000000 1000000 76924 1",
    ("issues", "ix_issues_workspace_id_status_priority_rank_issue_number"): (
        "1000000 1000000 142858 28572 1"
    ),
    ("issues", "ix_issues_workspace_id_status_updated_at_id"): "1000000 1000000 142858 1 1",
    ("issues", "ix_issues_workspace_id_status_created_at_id"): "1000000 1000000 142858 1 1",
    ("issues", "ix_issues_workspace_id_status_issue_number"): "1000000 1000000 142858 1",
    ("issues", "ix_issues_workspace_id_priority_rank_issue_number"): "1000000 1000000 200000 1",
    ("issues", "ix_issues_workspace_id_updated_at_id"): "1000000 1000000 1 1",
    ("issues", "ix_issues_workspace_id_created_at_id"): "1000000 1000000 1 1",
    ("issues", "ix_issues_project_id"): "1000000 142858",
    ("issues", "ix_issues_parent_id"): "1000000 21",
    ("issues", "ix_issues_created_by_id"): "1000000 111112",
    ("issues", "ix_issues_created_by_agent_id"): "1000000 200000",
    ("issues", "ix_issues_assignee_id"): "1000000 111112",
    ("issues", "ix_issues_assignee_agent_id"): "1000000 200000",
    ("issues", "sqlite_autoindex_issues_2"): "1000000 1000000 1",
    ("issues", "sqlite_autoindex_issues_1"): "1000000 1",
    ("issue_label_links", "ix_issue_label_links_label_id"): "1101026 110103",
    ("issue_label_links", "sqlite_autoindex_issue_label_links_2"): "1101026 2 1",
    ("issue_label_links", "sqlite_autoindex_issue_label_links_1"): "1101026 1",
    ("issue_labels", "sqlite_autoindex_issue_labels_2"): "10 10 1",
    ("issue_labels", "sqlite_autoindex_issue_labels_1"): "10 1",
}
SORTS_BOTH_WAYS = [sign + sort for sort in SORTS for sign in ("", "-")]


@pytest.fixture
async def team(engine: AsyncEngine) -> dict[str, str]:
    """A workspace of seeded issues, with a million issues' statistics on SQLite."""
    result = await seed(engine, 120, batch_size=60, random_seed=3)
    async with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            await connection.exec_driver_sql("DELETE FROM sqlite_stat1")
            await connection.exec_driver_sql(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)",
                [(t, i, stat) for (t, i), stat in MILLION_ISSUE_STATISTICS.items()],
            )
            await connection.exec_driver_sql("ANALYZE sqlite_schema")  # reload them
        row = (
            await connection.execute(
                select(Issue.assignee_key, Issue.creator_key, Issue.project_id)
                .where(
                    Issue.workspace_id == result.workspace_id,
                    Issue.assignee_key.is_not(None),
                    Issue.project_id.is_not(None),
                )
                .limit(1)
            )
        ).one()
        member = await connection.scalar(
            select(Member.user_id).where(Member.workspace_id == result.workspace_id).limit(1)
        )
    return {
        "workspace": result.workspace_id,
        "assignee": row.assignee_key,
        "creator": row.creator_key or str(member),
        "project": row.project_id,
    }


async def page_query(
    engine: AsyncEngine, workspace_id: str, filters: IssueFilters, sort: str, cursor: str | None
) -> Any:
    async with create_session_factory(engine)() as session:
        where = await queries.list_conditions(session, workspace_id, filters)
        order = await queries.list_order(session, workspace_id, filters, sort)
    statement = select(Issue).where(Issue.workspace_id == workspace_id, *where)
    return page_statement(statement, order, PageRequest(cursor=cursor))


class Captured:
    statement: str = ""
    parameters: Any = None


def capture(connection: AsyncConnection) -> tuple[Captured, Any]:
    captured = Captured()

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.statement, captured.parameters = statement, parameters

    return captured, remember


async def plan(engine: AsyncEngine, query: Any) -> str:
    """The plan of `query` exactly as the list sends it (text and parameters from the driver)."""
    async with engine.connect() as connection:
        captured, remember = capture(connection)
        event.listen(engine.sync_engine, "before_cursor_execute", remember)
        try:
            await connection.execute(query)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", remember)
        if connection.dialect.name == "sqlite":
            explain = "EXPLAIN QUERY PLAN " + captured.statement
            rows = await connection.exec_driver_sql(explain, captured.parameters)
            return "\n".join(str(row[-1]) for row in rows)
        for setting in ("enable_seqscan", "enable_sort", "enable_incremental_sort"):
            await connection.execute(text(f"SET LOCAL {setting} = off"))
        rows = await connection.exec_driver_sql(
            "EXPLAIN " + captured.statement, captured.parameters
        )
        return "\n".join(str(row[0]) for row in rows)


def assert_served_by_an_index(backend: str, shown: str, index: str | None = None) -> None:
    if backend == "sqlite":
        assert "TEMP B-TREE" not in shown, shown  # no sort of what the filter kept
        for line in shown.splitlines():
            if line.startswith("SCAN issues"):  # a walk, not a search: only along an index
                assert "USING INDEX" in line or "USING COVERING INDEX" in line, shown
    else:
        assert "Sort" not in shown and "Seq Scan on issues" not in shown, shown
    if index is not None:
        # SQLite names the index of a table's UNIQUE constraint itself
        unique = index.startswith("uq_") and "sqlite_autoindex_issues_" in shown
        assert index in shown or unique, shown


def filters_and_indexes(
    team: dict[str, str],
) -> Iterator[tuple[str, IssueFilters, str, str | None]]:
    """(what, filters, sort, the index that serves them) for each pair with an index of its own."""
    for sort in SORTS_BOTH_WAYS:
        field = sort.removeprefix("-")
        led = {"number": "", "created_at": "_created_at_id", "updated_at": "_updated_at_id"}
        by_status = (
            "ix_issues_workspace_id_status"
            + {
                **led,
                "number": "_issue_number",
                "priority": "_priority_rank_issue_number",
            }[field]
        )
        plain = {
            "number": "uq_issues_workspace_id_issue_number",
            "created_at": "ix_issues_workspace_id_created_at_id",
            "updated_at": "ix_issues_workspace_id_updated_at_id",
            "priority": "ix_issues_workspace_id_priority_rank_issue_number",
        }[field]
        yield "everything", IssueFilters(), sort, plain
        yield "one status", IssueFilters(status=[IssueStatus.BLOCKED]), sort, by_status
    for sort in ("number", "-number", "priority", "-priority"):
        index = "ix_issues_workspace_id_priority_rank_issue_number"
        yield "one priority", IssueFilters(priority=[IssuePriority.URGENT]), sort, index
    for sort in ("number", "-number"):
        yield (
            "assignee",
            IssueFilters(assignee_id=team["assignee"]),
            sort,
            "ix_issues_workspace_id_assignee_key_issue_number",
        )
        # a quarter of the issues: walking the number index and skipping is as good
        yield "unassigned", IssueFilters(assignee_id="none"), sort, None
        yield (
            "creator",
            IssueFilters(creator_id=team["creator"]),
            sort,
            "ix_issues_workspace_id_creator_key_issue_number",
        )
        yield (
            "project",
            IssueFilters(project_id=team["project"]),
            sort,
            "ix_issues_workspace_id_project_id_issue_number",
        )
    since = datetime.now(UTC) - timedelta(days=1)
    for sort in ("updated_at", "-updated_at"):
        yield (
            "updated since",
            IssueFilters(updated_since=since),
            sort,
            "ix_issues_workspace_id_updated_at_id",
        )


async def test_each_filter_with_each_sort_it_claims_is_served_by_its_index(
    backend: str, engine: AsyncEngine, team: dict[str, str]
) -> None:
    for what, filters, sort, index in filters_and_indexes(team):
        shown = await plan(engine, await page_query(engine, team["workspace"], filters, sort, None))
        try:
            assert_served_by_an_index(backend, shown, index)
        except AssertionError as exc:
            raise AssertionError(f"{what}, sort={sort}: {exc}") from None


async def test_other_filters_walk_a_sort_index_instead_of_sorting(
    backend: str, engine: AsyncEngine, team: dict[str, str]
) -> None:
    """Filters without an index of their own for a sort skip along that sort's index."""
    cases = [
        IssueFilters(status=[IssueStatus.TODO, IssueStatus.IN_PROGRESS]),
        IssueFilters(priority=[IssuePriority.HIGH, IssuePriority.URGENT]),
        IssueFilters(label=["bug"]),
        IssueFilters(parent_issue_id="none"),
        IssueFilters(assignee_type="agent"),
    ]
    for filters in cases:
        for sort in ("-updated_at", "created_at", "-priority"):
            shown = await plan(
                engine, await page_query(engine, team["workspace"], filters, sort, None)
            )
            try:
                assert_served_by_an_index(backend, shown)
            except AssertionError as exc:
                raise AssertionError(f"{filters}, sort={sort}: {exc}") from None


async def test_a_cursor_page_starts_inside_the_index(
    backend: str, engine: AsyncEngine, team: dict[str, str]
) -> None:
    """The keyset condition bounds the index range instead of filtering a walk from its start."""
    for sort in SORTS_BOTH_WAYS:
        statement = select(Issue).where(Issue.workspace_id == team["workspace"])
        async with create_session_factory(engine)() as session:
            first = await paginate(
                session, statement, queries.sort_keys(sort), PageRequest(limit=10)
            )
        cursor = first.next_cursor
        query = await page_query(engine, team["workspace"], IssueFilters(), sort, cursor)
        shown = await plan(engine, query)
        assert_served_by_an_index(backend, shown)
        if backend == "sqlite":
            assert "SEARCH issues USING" in shown and (">" in shown or "<" in shown), shown
        else:
            assert "Index Cond" in shown and ("> " in shown or "< " in shown), shown


async def test_a_recent_updated_since_reads_its_range_whatever_the_sort(
    backend: str, engine: AsyncEngine, team: dict[str, str]
) -> None:
    """`updated_since` is mostly "what changed lately": a few issues, read from the updated_at
    index and sorted, rather than a walk along the number index that skips nearly all."""
    for days in (1, 2):  # two values: each statement gets its own, not a cached one
        since = datetime.now(UTC) - timedelta(days=days)
        query = await page_query(
            engine, team["workspace"], IssueFilters(updated_since=since), "number", None
        )
        async with engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        assert rows and all(row.updated_at >= since for row in rows)
        if backend == "sqlite":
            shown = await plan(engine, query)
            assert "ix_issues_workspace_id_updated_at_id" in shown and "updated_at>" in shown
        else:
            # Sorted by an expression no index serves: gathered through the updated_at index.
            shown = await plan(engine, query)
            assert "Sort" in shown and "ix_issues_workspace_id_updated_at_id" in shown, shown


async def test_a_gathered_updated_since_list_pages_like_the_walked_one(
    backend: str, engine: AsyncEngine, team: dict[str, str]
) -> None:
    """Gathered or walked, the same issues in the same order, page after page by cursor.
    (Only PostgreSQL gathers: SQLite is told how rare the filter is.)"""
    since = datetime.now(UTC) - timedelta(days=30)
    async with create_session_factory(engine)() as session:
        order = await queries.list_order(
            session, team["workspace"], IssueFilters(updated_since=since), "number"
        )
    gathers = order != queries.sort_keys("number")
    assert gathers == (backend == "postgres")
    if not gathers:
        return
    statement = select(Issue).where(
        Issue.workspace_id == team["workspace"], Issue.updated_at >= since
    )
    for sort in ("number", "-priority", "created_at"):
        seen: dict[bool, list[str]] = {}
        for gathered in (False, True):
            order = queries.sort_keys(sort, gathered=gathered)
            cursor, ids = None, []
            async with create_session_factory(engine)() as session:
                while True:
                    page = await paginate(
                        session, statement, order, PageRequest(limit=7, cursor=cursor)
                    )
                    ids.extend(issue.id for issue in page.items)
                    if page.next_cursor is None:
                        break
                    cursor = page.next_cursor
            seen[gathered] = ids
        assert seen[True] == seen[False] and len(seen[True]) == len(set(seen[True])), sort
