"""Paging for every list: limit/offset as before, plus an opaque keyset cursor.

The cursor holds the sort values of the last item returned. The next page continues strictly
after it in the list's order (with the id as the final tie-breaker), so deep pages cost the same
as the first and rows inserted meanwhile neither repeat nor vanish.

The total is counted only when the caller asks (`count=True`): a count reads every matching row,
which at a million rows costs more than the page itself.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.core.validation import unstorable

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

# A mapped column (`Issue.created_at`) or any SQL expression built from one.
SortExpression = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: str | None = None
    count: bool = False  # whether to count every match (Page.total)


@dataclass(frozen=True, slots=True)
class SortKey:
    """One column (or expression) of a list's order."""

    name: str
    expression: SortExpression
    descending: bool = False
    kind: type = str  # str, int or datetime: what a cursor value must decode to


@dataclass(slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int | None  # None unless the request asked for a count
    next_cursor: str | None
    limit: int
    offset: int


async def paginate(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    order: list[SortKey],
    page: PageRequest,
    *,
    scalars: bool = True,
) -> Page[Any]:
    """Run `statement` (already filtered, not ordered) one page at a time."""
    total = None
    if page.count:
        counted = select(func.count()).select_from(statement.order_by(None).subquery())
        total = await session.scalar(counted) or 0
    offset = 0 if page.cursor is not None else page.offset
    rows = (await session.execute(page_statement(statement, order, page))).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [row[0] if scalars else row[: len(row) - len(order)] for row in rows]
    next_cursor = _encode(order, rows[-1][len(rows[-1]) - len(order) :]) if more and rows else None
    return Page(items=items, total=total, next_cursor=next_cursor, limit=page.limit, offset=offset)


def page_statement(
    statement: Select[*tuple[Any, ...]], order: list[SortKey], page: PageRequest
) -> Select[*tuple[Any, ...]]:
    """The query of one page: ordered, after the cursor (or offset), one row more than the limit
    to tell whether another page follows; each row ends with its sort values."""
    ordered = statement.add_columns(
        *(key.expression.label(f"_k{i}") for i, key in enumerate(order))
    )
    ordered = ordered.order_by(
        *(key.expression.desc() if key.descending else key.expression.asc() for key in order)
    )
    if page.cursor is not None:
        ordered = ordered.where(_after(order, _decode(page.cursor, order)))
        return ordered.limit(page.limit + 1)
    return ordered.limit(page.limit + 1).offset(page.offset)


def _after(order: list[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in `order`.

    Keys that all run one way compare as one row value, `(a, b) > (x, y)`, which both backends
    answer as a range of an index on (…, a, b). Mixed directions spell it out,
    `a >= x AND (a > x OR (a = x AND b > y) OR …)`, the first term bounding the index range.
    """
    if not order:
        return false()
    if len(order) == 1:
        key = order[0]
        beyond: ColumnElement[bool] = (
            key.expression < values[0] if key.descending else key.expression > values[0]
        )
        return beyond
    if len({key.descending for key in order}) == 1:
        expressions = [key.expression for key in order]
        row = tuple_(*expressions)
        bound = tuple_(*values, types=[expression.type for expression in expressions])
        return row < bound if order[0].descending else row > bound
    first = order[0]
    start = first.expression <= values[0] if first.descending else first.expression >= values[0]
    clauses = []
    for i, key in enumerate(order):
        equal_before = [order[j].expression == values[j] for j in range(i)]
        beyond = key.expression < values[i] if key.descending else key.expression > values[i]
        clauses.append(and_(*equal_before, beyond))
    return and_(start, or_(*clauses))


def cursor_after(order: list[SortKey], values: Any) -> str:
    """The cursor of the page that follows a row with these sort values (for a list that reads
    its pages without `paginate`)."""
    return _encode(order, values)


def _encode(order: list[SortKey], values: Any) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    payload = {"k": [key.name for key in order], "v": plain}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _typed(key: SortKey, value: Any) -> Any:
    if key.kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("cursor timestamp without time zone")
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValueError("cursor timestamp out of range") from None
    if key.kind is int and (
        not isinstance(value, int) or isinstance(value, bool) or not -(2**31) <= value < 2**31
    ):
        raise ValueError("cursor value is not a 32-bit integer")
    if key.kind is str and (not isinstance(value, str) or unstorable(value) is not None):
        raise ValueError("cursor value is not a string either database can compare")
    return value


def _decode(cursor: str, order: list[SortKey]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        names, values = payload["k"], payload["v"]
        if names != [key.name for key in order] or len(values) != len(order):
            raise ValueError("cursor belongs to another ordering")
        return [_typed(key, value) for key, value in zip(order, values, strict=True)]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "cursor is not valid for this list; start again without it", code="invalid_cursor"
        ) from exc
