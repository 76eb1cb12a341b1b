"""agent statuses of 0.1.9 beside the seed's active

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column stays a VARCHAR with a CHECK constraint (no native enum on either backend); only the
# constraint's list of values changes. `working` (0.1.9's name for a busy agent) joins the seed's
# `active`, which names the same state.
BEFORE = ("idle", "active", "offline", "blocked", "error")
AFTER = ("idle", "active", "working", "offline", "blocked", "error")

_agents = sa.table("agents", sa.column("status", sa.String(32)))


def _status_type(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name="agent_status", native_enum=False, create_constraint=True, length=32
    )


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=_status_type(BEFORE),
            type_=_status_type(AFTER),
            existing_nullable=False,
            existing_server_default="idle",
        )


def downgrade() -> None:
    # `working` goes back to the name the seed gives the same state.
    op.execute(_agents.update().where(_agents.c.status == "working").values(status="active"))
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=_status_type(AFTER),
            type_=_status_type(BEFORE),
            existing_nullable=False,
            existing_server_default="idle",
        )
