"""indexes for every issue filter and sort, and a stored priority rank

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIORITY_RANK = (
    "CASE priority WHEN 'none' THEN 0 WHEN 'low' THEN 1 WHEN 'medium' THEN 2 "
    "WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 ELSE 0 END"
)
# Generated columns: virtual on SQLite (which cannot add a stored one to an existing table; its
# index holds the value), stored on PostgreSQL.
COMPUTED: list[tuple[str, sa.types.TypeEngine[Any], str]] = [
    ("priority_rank", sa.Integer(), PRIORITY_RANK),
    ("assignee_key", sa.String(36), "COALESCE(assignee_id, assignee_agent_id)"),
    ("creator_key", sa.String(36), "COALESCE(created_by_id, created_by_agent_id)"),
]
OLD_INDEXES = [
    ["workspace_id", "status"],
    ["workspace_id", "priority"],
    ["workspace_id", "created_at"],
    ["workspace_id", "updated_at"],
]
NEW_INDEXES = [
    ["workspace_id", "created_at", "id"],
    ["workspace_id", "updated_at", "id"],
    ["workspace_id", "priority_rank", "issue_number"],
    ["workspace_id", "status", "issue_number"],
    ["workspace_id", "status", "created_at", "id"],
    ["workspace_id", "status", "updated_at", "id"],
    ["workspace_id", "status", "priority_rank", "issue_number"],
    ["workspace_id", "assignee_key", "issue_number"],
    ["workspace_id", "creator_key", "issue_number"],
    ["workspace_id", "project_id", "issue_number"],
]


def _name(columns: list[str]) -> str:
    return op.f("ix_issues_" + "_".join(columns))


def upgrade() -> None:
    stored = True if op.get_bind().dialect.name == "postgresql" else None
    for name, type_, expression in COMPUTED:
        computed = sa.Computed(expression, persisted=stored)
        op.add_column("issues", sa.Column(name, type_, computed, nullable=True))
    for columns in OLD_INDEXES:
        op.drop_index(_name(columns), table_name="issues")
    for columns in NEW_INDEXES:
        op.create_index(_name(columns), "issues", columns)


def downgrade() -> None:
    for columns in NEW_INDEXES:
        op.drop_index(_name(columns), table_name="issues")
    for columns in OLD_INDEXES:
        op.create_index(_name(columns), "issues", columns)
    for name, _type, _expression in reversed(COMPUTED):
        # Not in batch mode: a copy of the table would lose the triggers other revisions hang
        # on it.
        op.drop_column("issues", name)
