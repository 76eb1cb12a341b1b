"""workers: registered_by_user_id and stopped_at as columns, moved out of details

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from praisonai_platform.db.types import JSONDict, UTCDateTime, utcnow

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The keys of `workers.details` the two columns replace.
OWNER_KEY = "registered_by"
STOPPED_KEY = "stopped_at"

_workers = sa.table(
    "workers",
    sa.column("id", sa.String(100)),
    sa.column("details", JSONDict),
    sa.column("registered_by_user_id", sa.String(36)),
    sa.column("stopped_at", UTCDateTime()),
)
_users = sa.table("users", sa.column("id", sa.String(36)))


def upgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registered_by_user_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("stopped_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_workers_registered_by_user_id"), ["registered_by_user_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_workers_registered_by_user_id_users"),
            "users",
            ["registered_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _move_into_columns(op.get_bind())


def downgrade() -> None:
    _move_into_details(op.get_bind())
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_workers_registered_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_workers_registered_by_user_id"))
        batch_op.drop_column("stopped_at")
        batch_op.drop_column("registered_by_user_id")


def _move_into_columns(bind: sa.Connection) -> None:
    rows = bind.execute(sa.select(_workers.c.id, _workers.c.details)).all()
    owners = {
        row.details[OWNER_KEY]
        for row in rows
        if isinstance(row.details, dict) and isinstance(row.details.get(OWNER_KEY), str)
    }
    # The JSON had no foreign key: an owner deleted since is nobody now, as ON DELETE SET NULL
    # would have made it.
    known = (
        set(bind.execute(sa.select(_users.c.id).where(_users.c.id.in_(owners))).scalars())
        if owners
        else set()
    )
    for row in rows:
        details = row.details if isinstance(row.details, dict) else {}
        if OWNER_KEY not in details and STOPPED_KEY not in details:
            continue
        owner = details.get(OWNER_KEY)
        stopped = details.get(STOPPED_KEY)
        bind.execute(
            sa.update(_workers)
            .where(_workers.c.id == row.id)
            .values(
                registered_by_user_id=owner if isinstance(owner, str) and owner in known else None,
                stopped_at=_moment(stopped) if stopped is not None else None,
                details={k: v for k, v in details.items() if k not in (OWNER_KEY, STOPPED_KEY)},
            )
        )


def _move_into_details(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.select(
            _workers.c.id,
            _workers.c.details,
            _workers.c.registered_by_user_id,
            _workers.c.stopped_at,
        )
    ).all()
    for row in rows:
        details: dict[str, Any] = {**(row.details or {}), OWNER_KEY: row.registered_by_user_id}
        if row.stopped_at is not None:
            details[STOPPED_KEY] = row.stopped_at.isoformat()
        bind.execute(sa.update(_workers).where(_workers.c.id == row.id).values(details=details))


def _moment(value: Any) -> datetime:
    """The stop time as it was written (ISO 8601, UTC); a worker whose stop time cannot be read
    stays offline, stopped now."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return utcnow()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
