"""The clock: `utcnow` for this process's time (timezone-aware, UTC), `database_now` for the time
leases and heartbeats are measured against.

`utcnow` is defined beside the column types in db.types, whose column defaults need it below
this package; everything above the database imports it from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Interval, func, literal
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.db.types import UTCDateTime, utcnow

__all__ = ["database_now", "utcnow"]


def database_now(session: AsyncSession, offset: timedelta | None = None) -> ColumnElement[datetime]:
    """Now (plus `offset`) as a SQL expression.

    Workers on several machines share one PostgreSQL, whose clock is the only one they all agree
    on, so a lease set by one machine is not judged expired by another whose clock runs ahead.
    SQLite lives on a single machine: its clock is this process's.
    """
    if session.get_bind().dialect.name == "postgresql":
        now = func.now(type_=UTCDateTime())
        return now + literal(offset, Interval()) if offset else now
    return literal(utcnow() + (offset or timedelta(0)), UTCDateTime())
