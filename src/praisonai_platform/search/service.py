"""Search a workspace: the issue a key names, then titles, then descriptions, then comments.

The order: an issue named by its key or number (`ENG-42`, `42`, `#42`) first; then issues
whose title holds every word and projects whose name does; then issues and projects whose
words are spread over title (or name) and description; then comments. Within each rank the
newest come first, ties by id. Each rank and kind is read newest first and only as far as the
page needs (`statements`), so a search costs about the same at a million issues as at ten.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import Actor
from praisonai_platform.db.models import Issue
from praisonai_platform.db.search_ddl import COMMENTS, ISSUES, PROJECTS
from praisonai_platform.search.schemas import MatchedIn, ResultType, SearchResult
from praisonai_platform.search.statements import (
    ELLIPSIS,
    ISSUE_TEXT,
    MARK_CLOSE,
    MARK_OPEN,
    SNIPPET_WORDS,
    STREAMS,
    IssueTextMatch,
    Stream,
    few_issue_rowids,
    issue_probe_statement,
    probe_statement,
    stream_statement,
)
from praisonai_platform.search.terms import SearchTerms, parse
from praisonai_platform.workspaces.permissions import Access, Action, workspace_access

MAX_LIMIT = 50
DEFAULT_LIMIT = 20
# How deep a search pages: the best 250 results; a narrower search finds the rest.
MAX_OFFSET = 200
# Up to this many matches, a search reads its matches directly (see issue_matches).
FEW_MATCHES = 1000
# PostgreSQL: the share of a table's rows from which its planner's estimate of a search's
# matches is its statistics', not its 0.5% guess (_few_matches).
COMMON_SHARE = 0.01
_TABLE_ROWS = text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:table)")
_SCANS = ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan")
# A probe is planned for its own words each time: a generic plan (which a prepared statement
# switches to after a few runs) cannot know they are rare, and joins comments the costly way.
_BITMAP_SCANS_ONLY = text(
    "SELECT "
    + ", ".join(f"set_config('{scan}', 'off', true)" for scan in _SCANS)
    + ", set_config('plan_cache_mode', 'force_custom_plan', true)"
)
_ALL_SCANS = text(
    "SELECT "
    + ", ".join(f"set_config('{scan}', 'on', true)" for scan in _SCANS)
    + ", set_config('plan_cache_mode', 'auto', true)"
)


@dataclass(frozen=True, slots=True)
class SearchPage:
    results: list[SearchResult]
    more: bool


@dataclass(frozen=True, slots=True)
class _Ranked:
    rank: int
    result: SearchResult

    def key(self) -> tuple[int, float]:
        return (self.rank, -self.result.created_at.timestamp())


async def search(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    text: str,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> SearchPage:
    access = await workspace_access(session, actor, workspace_id, Action.ISSUE_READ)
    terms = parse(text)
    wanted = offset + limit + 1
    found: dict[tuple[ResultType, str], _Ranked] = {}
    if terms.issue_number is not None:
        named = await _named_issue(session, access, terms)
        if named is not None:
            found[(ResultType.ISSUE, named.id)] = _Ranked(0, named)
    dialect = session.get_bind().dialect.name
    issue_matches: _IssueMatches | None = None
    for _rank, streams in itertools.groupby(_streams_for(access), key=lambda s: s.rank):
        # Results of a lower rank all come first: once they fill the page, the streams of the
        # higher ranks (the costlier ones when the words are common) need not be read at all.
        if len(found) >= wanted:
            break
        for stream in streams:
            if dialect == "postgresql" and stream.indexed is ISSUES:
                if issue_matches is None:
                    issue_matches = await _few_issue_matches(session, terms, workspace_id)
                ids = issue_matches.of(stream)
                if ids is None:
                    ids = await _few_matches(session, dialect, stream, terms, workspace_id)
            else:
                ids = await _few_matches(session, dialect, stream, terms, workspace_id)
            if ids == []:
                continue
            statement = stream_statement(dialect, stream, terms, ids)
            parameters = {"workspace_id": workspace_id, "limit": wanted}
            for row in (await session.execute(statement, parameters)).mappings():
                ranked = _result(stream, row)
                found.setdefault((ranked.result.type, ranked.result.id), ranked)
    # Newest first within a rank, ties by id descending (like the statements).
    by_id = sorted(found.values(), key=lambda ranked: ranked.result.id, reverse=True)
    ordered = sorted(by_id, key=_Ranked.key)
    page = [ranked.result for ranked in ordered[offset : offset + limit]]
    return SearchPage(results=page, more=len(ordered) > offset + limit)


async def issue_matches(
    session: AsyncSession, workspace_id: str, terms: SearchTerms
) -> ColumnElement[bool]:
    """Issues whose title and description hold every word, as a condition for the issue list.

    The index is asked first for up to FEW_MATCHES matches: a search that matches few issues
    becomes a list of them the list reads directly (one that matches none reads nothing),
    instead of walking the whole workspace in the list's order looking for them.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        rowids = list(await session.scalars(few_issue_rowids(terms), {"limit": FEW_MATCHES + 1}))
        if len(rowids) > FEW_MATCHES:
            return IssueTextMatch(terms)
        return literal_column(f"{ISSUES.table}.rowid", Integer).in_(rowids)
    ids = await _few_matches(session, dialect, ISSUE_TEXT, terms, workspace_id)
    return IssueTextMatch(terms) if ids is None else Issue.id.in_(ids)


async def _few_matches(
    session: AsyncSession, dialect: str, stream: Stream, terms: SearchTerms, workspace_id: str
) -> list[str] | None:
    """PostgreSQL: every match of the stream if there are at most FEW_MATCHES, else None.

    Its planner cannot tell how few rows a prefix query matches when its words are not among
    the column's most common ones (it assumes 0.5%), so left to itself it walks the workspace
    newest first looking for matches that may not exist. Where the planner expects few matches,
    a probe reads the GIN index only (the other scans are switched off for it), which costs
    little for rare words; common words, whose counts the statistics do know, are left to the
    walk, which finds them at once. Projects are few: they need no probe. SQLite: None, its
    FTS5 index is read in order.
    """
    if dialect != "postgresql" or stream.indexed is PROJECTS:
        return None
    parameters = {"workspace_id": workspace_id, "limit": FEW_MATCHES + 1}
    if stream.indexed is ISSUES and await _expected_common(session, stream, terms, parameters):
        return None
    await session.execute(_BITMAP_SCANS_ONLY)
    try:
        ids = list(await session.scalars(probe_statement(stream, terms), parameters))
    finally:
        await session.execute(_ALL_SCANS)
    return ids if len(ids) <= FEW_MATCHES else None


@dataclass(frozen=True, slots=True)
class _IssueMatches:
    """Every issue matching in its text, split by whether its title matches; `known` False
    when there are too many (or too many are expected) to read them all."""

    known: bool
    in_title: list[str]
    elsewhere: list[str]

    def of(self, stream: Stream) -> list[str] | None:
        if not self.known:
            return None
        return self.in_title if stream.headed else self.elsewhere


async def _few_issue_matches(
    session: AsyncSession, terms: SearchTerms, workspace_id: str
) -> _IssueMatches:
    """PostgreSQL: both issue streams' matches from one probe of the text index (the title
    and text streams would otherwise probe one index each, each paying for the common words);
    when they are too many, each stream is left to `_few_matches`."""
    unknown = _IssueMatches(known=False, in_title=[], elsewhere=[])
    parameters = {"workspace_id": workspace_id, "limit": FEW_MATCHES + 1}
    if await _expected_common(session, ISSUE_TEXT, terms, parameters):
        return unknown
    await session.execute(_BITMAP_SCANS_ONLY)
    try:
        rows = (await session.execute(issue_probe_statement(terms), parameters)).all()
    finally:
        await session.execute(_ALL_SCANS)
    if len(rows) > FEW_MATCHES:
        return unknown
    return _IssueMatches(
        known=True,
        in_title=[str(row.id) for row in rows if row.in_title],
        elsewhere=[str(row.id) for row in rows if not row.in_title],
    )


async def _expected_common(
    session: AsyncSession, stream: Stream, terms: SearchTerms, parameters: dict[str, Any]
) -> bool:
    """Whether the planner expects the words in more than COMMON_SHARE of the table's rows: a
    share its statistics know (short comments repeat their words too much for that: they are
    always probed)."""
    plan = await session.scalar(probe_statement(stream, terms, estimate=True), parameters)
    plan = json.loads(plan) if isinstance(plan, str) else plan
    rows = await session.scalar(_TABLE_ROWS, {"table": stream.indexed.table})
    return bool(plan[0]["Plan"]["Plan Rows"] > COMMON_SHARE * max(rows or 0, 1))


def _streams_for(access: Access) -> list[Stream]:
    """Projects and comments only for callers who may read them (every member today)."""
    allowed = {ISSUES.table}
    if access.allows(Action.PROJECT_READ):
        allowed.add("projects")
    if access.allows(Action.COMMENT_READ):
        allowed.add(COMMENTS.table)
    return [stream for stream in STREAMS if stream.indexed.table in allowed]


async def _named_issue(
    session: AsyncSession, access: Access, terms: SearchTerms
) -> SearchResult | None:
    issue = await session.scalar(
        select(Issue).where(
            Issue.workspace_id == access.workspace.id, Issue.issue_number == terms.issue_number
        )
    )
    if issue is None:
        return None
    if terms.key_prefix is not None:
        born_with = issue.identifier.rsplit("-", 1)[0].upper()
        if terms.key_prefix not in (access.workspace.issue_prefix.upper(), born_with):
            return None
    return SearchResult(
        type=ResultType.ISSUE,
        id=issue.id,
        matched_in=MatchedIn.KEY,
        title=issue.title,
        title_highlight=html.escape(issue.title),
        snippet=_excerpt(issue.description),
        issue_id=issue.id,
        issue_key=issue.identifier,
        issue_number=issue.issue_number,
        created_at=issue.created_at,
    )


def _result(stream: Stream, values: Mapping[Any, Any]) -> _Ranked:
    table = stream.indexed.table
    kind = {"issues": ResultType.ISSUE, "comments": ResultType.COMMENT}.get(
        table, ResultType.PROJECT
    )
    if kind is ResultType.COMMENT:
        matched = MatchedIn.COMMENT
    else:
        matched = MatchedIn.TITLE if stream.headed else MatchedIn.TEXT
    heading = str(values["heading"])
    marked = values["heading_marked"]
    body = values["body_marked"]
    created_at = values["created_at"]
    assert isinstance(created_at, datetime)
    return _Ranked(
        stream.rank,
        SearchResult(
            type=kind,
            id=str(values["id"]),
            matched_in=matched,
            title=heading,
            title_highlight=marked_html(str(marked))
            if marked is not None
            else html.escape(heading),
            snippet=marked_html(excerpt(str(body))) if body is not None else None,
            issue_id=_optional(values["issue_id"]),
            issue_key=_optional(values["issue_key"]),
            issue_number=int(str(values["issue_number"])) if values["issue_number"] else None,
            created_at=created_at,
        ),
    )


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


def _excerpt(text: str | None, words: int = 24) -> str | None:
    if text is None:
        return None
    parts = text.split()
    return html.escape(" ".join(parts[:words]) + (" …" if len(parts) > words else ""))


def excerpt(marked: str, words: int = SNIPPET_WORDS) -> str:
    """About `words` words of marked text around its first mark, "…" where text was cut."""
    parts = marked.split()
    first = next((i for i, part in enumerate(parts) if MARK_OPEN in part), 0)
    start = max(0, min(first - words // 3, len(parts) - words))
    kept = " ".join(parts[start : start + words])
    kept += MARK_CLOSE * (kept.count(MARK_OPEN) - kept.count(MARK_CLOSE))
    before = ELLIPSIS if start > 0 and not kept.startswith(ELLIPSIS) else ""
    cut = start + words < len(parts) and not kept.endswith(ELLIPSIS)
    return before + kept + (ELLIPSIS if cut else "")


def marked_html(text: str) -> str:
    """Text with the statements' marker characters, as escaped HTML with <mark> elements."""
    return html.escape(text).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
