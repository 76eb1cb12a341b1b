"""Paging for every list: limit/offset as before, plus an opaque keyset cursor.

The cursor holds the sort values of the last item returned. The next page continues strictly
after it in the list's order (with the id as the final tie-breaker), so deep pages cost the same
as the first and rows inserted meanwhile neither repeat nor vanish.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from praisonai_platform.core.errors import ValidationFailed

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
    total: int
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
    total = await session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    ordered = statement.add_columns(
        *(key.expression.label(f"_k{i}") for i, key in enumerate(order))
    )
    ordered = ordered.order_by(
        *(key.expression.desc() if key.descending else key.expression.asc() for key in order)
    )
    offset = page.offset
    if page.cursor is not None:
        ordered = ordered.where(_after(order, _decode(page.cursor, order)))
        offset = 0
    rows = (await session.execute(ordered.limit(page.limit + 1).offset(offset))).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [row[0] if scalars else row[: len(row) - len(order)] for row in rows]
    next_cursor = _encode(order, rows[-1][len(rows[-1]) - len(order) :]) if more and rows else None
    return Page(
        items=items, total=total or 0, next_cursor=next_cursor, limit=page.limit, offset=offset
    )


def _after(order: list[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in `order`: (a > x) OR (a = x AND b > y) OR …"""
    clauses = []
    for i, key in enumerate(order):
        equal_before = [order[j].expression == values[j] for j in range(i)]
        beyond = key.expression < values[i] if key.descending else key.expression > values[i]
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses) if clauses else false()


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
    if key.kind is str and not isinstance(value, str):
        raise ValueError("cursor value is not a string")
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
