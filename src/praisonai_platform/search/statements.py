"""The SQL of search, per backend: FTS5 `MATCH` on SQLite, `@@` on a tsvector on PostgreSQL.

Each statement returns the newest matches first and stops at a limit, so its cost follows the
page asked for, not the number of matches: SQLite walks the FTS5 index backwards by rowid (the
order rows were written in) and PostgreSQL either walks the (workspace, created_at) index or
collects the few matches of a rare word from the GIN index, whichever its statistics favour.
Nothing counts all matches and nothing ranks all of them.

Highlights come from FTS5's highlight()/snippet() and PostgreSQL's ts_headline(), with private
marker characters that the service turns into escaped HTML (and cuts to an excerpt).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Integer,
    String,
    TextClause,
    bindparam,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine

from praisonai_platform.db.search_ddl import (
    COMMENTS,
    ISSUE_TITLES,
    ISSUES,
    POSTGRES_CONFIG,
    PROJECTS,
    Indexed,
)
from praisonai_platform.db.types import UTCDateTime
from praisonai_platform.search.terms import SearchTerms, fts5_query, tsquery

MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
ELLIPSIS = "…"
SNIPPET_WORDS = 24

_COMMON_COLUMNS: dict[str, TypeEngine[Any]] = {
    "created_at": UTCDateTime(),
    "id": String(),
    "heading": String(),
}


@dataclass(frozen=True, slots=True)
class Stream:
    """One ordered source of results: a table, and whether its heading alone must match
    (`headed=True`) or the text must match without the heading matching alone; `rank` orders
    the streams' results (lower first)."""

    indexed: Indexed
    headed: bool
    rank: int
    anywhere: bool = False  # every match, in the heading or not (the issue list's q)


def stream_statement(
    dialect: str, stream: Stream, terms: SearchTerms, ids: list[str] | None = None
) -> TextClause:
    """Rows `id, created_at, heading, heading_marked, body_marked, …` newest first; binds
    `workspace_id` and `limit`. `ids` (PostgreSQL): all the matches, found by a probe."""
    if dialect == "sqlite":
        return _sqlite_stream(stream, terms)
    return _postgres_stream(stream, terms, ids)


def _extra_columns(indexed: Indexed, alias: str) -> str:
    if indexed is ISSUES:
        return f"{alias}.identifier AS issue_key, {alias}.issue_number, {alias}.id AS issue_id"
    if indexed is COMMENTS:
        return "i.identifier AS issue_key, i.issue_number, i.id AS issue_id"
    return "NULL AS issue_key, NULL AS issue_number, NULL AS issue_id"


def _typed(statement: TextClause) -> TextClause:
    return statement.columns(  # type: ignore[return-value]
        **_COMMON_COLUMNS, issue_key=String(), issue_number=Integer(), issue_id=String()
    )


def _sqlite_stream(stream: Stream, terms: SearchTerms) -> TextClause:
    if stream.indexed is ISSUES:
        return _sqlite_issue_stream(stream, terms)
    indexed, fts = stream.indexed, stream.indexed.fts
    everything = fts5_query(terms)
    match = everything
    if indexed.heading is not None:
        in_heading = fts5_query(terms, indexed.heading)
        match = in_heading if stream.headed else f"({everything}) NOT ({in_heading})"
    body_index = len(indexed.columns) - 1
    heading = (
        f"t.{indexed.heading} AS heading, highlight({fts}, 0, :open, :close) AS heading_marked"
        if indexed.heading
        else "i.title AS heading, NULL AS heading_marked"
    )
    join = "JOIN issues AS i ON i.id = t.issue_id" if indexed is COMMENTS else ""
    owner = "i" if indexed is COMMENTS else "t"
    sql = (
        f"SELECT t.id, t.created_at, {heading}, "
        f"snippet({fts}, {body_index}, :open, :close, :ellipsis, {SNIPPET_WORDS}) AS body_marked, "
        f"{_extra_columns(indexed, 't')} "
        f"FROM {fts} JOIN {indexed.table} AS t ON t.rowid = {fts}.rowid {join} "
        f"WHERE {fts} MATCH :match AND {owner}.workspace_id = :workspace_id "
        f"ORDER BY {fts}.rowid DESC LIMIT :limit"
    )
    return _typed(
        text(sql).bindparams(match=match, open=MARK_OPEN, close=MARK_CLOSE, ellipsis=ELLIPSIS)
    )


def _sqlite_issue_stream(stream: Stream, terms: SearchTerms) -> TextClause:
    """Title matches from the titles' own index; the other matches from the full index, less
    the title matches (few by then: this stream is read only when they did not fill the page)."""
    titles, full = ISSUE_TITLES.fts, ISSUES.fts
    if stream.headed:
        fts, heading_marked, body_marked = (
            titles,
            f"highlight({titles}, 0, :open, :close)",
            "t.description",
        )
        excluded = ""
    else:
        fts, heading_marked = full, f"highlight({full}, 0, :open, :close)"
        body_marked = f"snippet({full}, 1, :open, :close, :ellipsis, {SNIPPET_WORDS})"
        excluded = (
            f"AND {full}.rowid NOT IN (SELECT rowid FROM {titles} WHERE {titles} MATCH :match) "
        )
    sql = (
        f"SELECT t.id, t.created_at, t.title AS heading, {heading_marked} AS heading_marked, "
        f"{body_marked} AS body_marked, {_extra_columns(ISSUES, 't')} "
        f"FROM {fts} JOIN issues AS t ON t.rowid = {fts}.rowid "
        f"WHERE {fts} MATCH :match {excluded}AND t.workspace_id = :workspace_id "
        f"ORDER BY {fts}.rowid DESC LIMIT :limit"
    )
    values = {
        "match": fts5_query(terms),
        "open": MARK_OPEN,
        "close": MARK_CLOSE,
        "ellipsis": ELLIPSIS,
    }
    return _typed(text(sql).bindparams(**{k: v for k, v in values.items() if f":{k}" in sql}))


# ts_headline keeps text that looks like HTML tags only when it highlights the whole text (its
# fragments drop them), so it marks everything and the service cuts the excerpt.
_HEADLINE_OPTIONS = f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}, HighlightAll=true"


def _postgres_condition(stream: Stream) -> str:
    """The stream's match on PostgreSQL; binds `everything` (and `in_heading` for projects)."""
    query = f"to_tsquery('{POSTGRES_CONFIG}', :everything)"
    if stream.anywhere:
        return f"t.{stream.indexed.vector} @@ {query}"
    if stream.indexed is ISSUES:
        in_title = f"t.{ISSUE_TITLES.vector} @@ {query}"
        return in_title if stream.headed else f"t.{ISSUES.vector} @@ {query} AND NOT {in_title}"
    anywhere = f"t.{stream.indexed.vector} @@ {query}"
    if stream.indexed.heading is None:
        return anywhere
    in_heading = f"t.{stream.indexed.vector} @@ to_tsquery('{POSTGRES_CONFIG}', :in_heading)"
    return in_heading if stream.headed else f"{anywhere} AND NOT {in_heading}"


def _postgres_values(terms: SearchTerms, sql: str, **extra: Any) -> dict[str, Any]:
    values = {"everything": tsquery(terms), "in_heading": tsquery(terms, "A"), **extra}
    return {k: v for k, v in values.items() if f":{k}" in sql}


def _postgres_from(indexed: Indexed) -> tuple[str, str]:
    """The FROM clause of a stream and the alias whose workspace_id scopes it."""
    if indexed is COMMENTS:
        return "comments AS t JOIN issues AS i ON i.id = t.issue_id", "i"
    return f"{indexed.table} AS t", "t"


def probe_statement(stream: Stream, terms: SearchTerms, *, estimate: bool = False) -> TextClause:
    """PostgreSQL: the ids of up to `limit` matches in the workspace, in no order; meant to run
    on the GIN index alone (see `service`), so that it costs little however rare the words.
    `estimate`: the planner's plan for all the matches instead (EXPLAIN, as JSON)."""
    source, owner = _postgres_from(stream.indexed)
    sql = (
        f"SELECT t.id FROM {source} WHERE {owner}.workspace_id = :workspace_id "
        f"AND {_postgres_condition(stream)}"
    )
    sql = f"EXPLAIN (FORMAT JSON) {sql}" if estimate else f"{sql} LIMIT :limit"
    return text(sql).bindparams(**_postgres_values(terms, sql))


def issue_probe_statement(terms: SearchTerms) -> TextClause:
    """PostgreSQL: like `probe_statement` for every issue matching in title and description,
    with `in_title`, whether the title alone matches: one read of the index answers both
    issue streams (an issue whose title holds the words is among those whose text does)."""
    query = f"to_tsquery('{POSTGRES_CONFIG}', :everything)"
    sql = (
        f"SELECT t.id, t.{ISSUE_TITLES.vector} @@ {query} AS in_title FROM issues AS t "
        f"WHERE t.workspace_id = :workspace_id AND t.{ISSUES.vector} @@ {query} LIMIT :limit"
    )
    return text(sql).bindparams(**_postgres_values(terms, sql))


def _postgres_stream(stream: Stream, terms: SearchTerms, ids: list[str] | None) -> TextClause:
    indexed = stream.indexed
    source, owner = _postgres_from(indexed)
    heading = f"t.{indexed.heading}" if indexed.heading else "i.title"
    query = f"to_tsquery('{POSTGRES_CONFIG}', :everything)"
    heading_marked = (
        f"ts_headline('{POSTGRES_CONFIG}', m.heading, {query}, :options)"
        if indexed.heading
        else "NULL"
    )
    # The matches a probe found, when they are few: read by primary key rather than by walking
    # the workspace newest first in search of them.
    among = "AND t.id = ANY(:ids) " if ids is not None else ""
    # The headlines are computed for the rows of the page only, after the limit.
    sql = (
        f"SELECT m.*, {heading_marked} AS heading_marked, "
        f"ts_headline('{POSTGRES_CONFIG}', m.body, {query}, :options) AS body_marked "
        f"FROM (SELECT t.id, t.created_at, {heading} AS heading, t.{indexed.body} AS body, "
        f"{_extra_columns(indexed, 't')} FROM {source} "
        f"WHERE {owner}.workspace_id = :workspace_id {among}AND {_postgres_condition(stream)} "
        f"ORDER BY t.created_at DESC, t.id DESC LIMIT :limit) AS m "
        "ORDER BY m.created_at DESC, m.id DESC"
    )
    statement = text(sql).bindparams(**_postgres_values(terms, sql, options=_HEADLINE_OPTIONS))
    if ids is not None:
        statement = statement.bindparams(bindparam("ids", ids, type_=ARRAY(String())))
    return _typed(statement)


# The issue list's `q`: the same index, as a condition the list's query can carry.


def few_issue_rowids(terms: SearchTerms) -> TextClause:
    """SQLite: the rowids of the newest matching issues, any workspace; binds `limit`."""
    return text(
        f"SELECT rowid FROM {ISSUES.fts} WHERE {ISSUES.fts} MATCH :match "
        "ORDER BY rowid DESC LIMIT :limit"
    ).bindparams(match=fts5_query(terms))


class _IssueQuery(TypeDecorator[SearchTerms]):
    """Binds search terms as the query string of the backend the statement runs on."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: SearchTerms | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return fts5_query(value) if dialect.name == "sqlite" else tsquery(value)


class IssueTextMatch(ColumnElement[bool]):
    """True for the issues whose title and description hold every word of the terms."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [("query", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, terms: SearchTerms) -> None:
        self.query = bindparam(None, terms, type_=_IssueQuery(), unique=True)


@compiles(IssueTextMatch, "sqlite")
def _issue_match_sqlite(element: IssueTextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    query = compiler.process(element.query, **kw)
    table = compiler.preparer.format_table(_issues_table())
    return f"{table}.rowid IN (SELECT rowid FROM {ISSUES.fts} WHERE {ISSUES.fts} MATCH {query})"


@compiles(IssueTextMatch, "postgresql")
def _issue_match_postgres(element: IssueTextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    query = compiler.process(element.query, **kw)
    table = compiler.preparer.format_table(_issues_table())
    return f"{table}.{ISSUES.vector} @@ to_tsquery('{POSTGRES_CONFIG}', {query})"


def _issues_table() -> Any:
    from praisonai_platform.db.models import Issue

    return Issue.__table__


# Every issue whose title and description hold the words.
ISSUE_TEXT = Stream(ISSUES, headed=False, rank=0, anywhere=True)
# In the order of their ranks (0 is the issue a key names).
STREAMS = (
    Stream(ISSUES, headed=True, rank=1),
    Stream(PROJECTS, headed=True, rank=1),
    Stream(ISSUES, headed=False, rank=2),
    Stream(PROJECTS, headed=False, rank=2),
    Stream(COMMENTS, headed=False, rank=3),
)
