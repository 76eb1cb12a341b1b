"""run budgets: runs.budget and runs.spent, and what was spent never passes the budget

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_runs = sa.table("runs", sa.column("id", sa.String(36)), sa.column("spent", sa.BigInteger()))
_ledger = sa.table(
    "credit_ledger",
    sa.column("run_id", sa.String(36)),
    sa.column("source", sa.String(50)),
    sa.column("delta", sa.BigInteger()),
)


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("spent", sa.BigInteger(), server_default="0", nullable=False))
    # Runs charged before budgets existed: what their steps cost, from the ledger.
    charged = (
        sa.select(sa.func.coalesce(sa.func.sum(-_ledger.c.delta), 0))
        .where(_ledger.c.run_id == _runs.c.id, _ledger.c.source == "run")
        .scalar_subquery()
    )
    op.execute(
        sa.update(_runs)
        .where(sa.exists().where(_ledger.c.run_id == _runs.c.id, _ledger.c.source == "run"))
        .values(spent=charged)
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_runs_budget_positive"), "budget IS NULL OR budget > 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_runs_within_budget"), "spent >= 0 AND (budget IS NULL OR spent <= budget)"
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_runs_within_budget"), type_="check")
        batch_op.drop_constraint(op.f("ck_runs_budget_positive"), type_="check")
        batch_op.drop_column("spent")
        batch_op.drop_column("budget")
