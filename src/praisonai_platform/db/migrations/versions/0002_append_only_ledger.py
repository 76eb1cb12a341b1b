"""append-only credit ledger: triggers refuse UPDATE and DELETE

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from praisonai_platform.db import ledger_ddl

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in ledger_ddl.CREATE.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade() -> None:
    for statement in ledger_ddl.DROP.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
