"""nonces count how often a key was presented; runs note when a client last looked

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from praisonai_platform.db.types import UTCDateTime

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nonces") as batch:
        batch.add_column(
            sa.Column("request_count", sa.Integer(), server_default="1", nullable=False)
        )
        batch.add_column(sa.Column("last_accessed_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("nonces") as batch:
        batch.drop_column("last_accessed_at")
        batch.drop_column("request_count")
