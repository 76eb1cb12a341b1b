"""full-text search over issues, comments and projects (FTS5 on SQLite, tsvector on PostgreSQL)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from praisonai_platform.db import search_ddl

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for indexed in search_ddl.INDEXED:
        for statement in search_ddl.create_statements(dialect, indexed):
            op.execute(statement)
    op.create_index(op.f("ix_comments_created_at_id"), "comments", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_comments_created_at_id"), table_name="comments")
    dialect = op.get_bind().dialect.name
    for indexed in search_ddl.INDEXED:
        for statement in search_ddl.drop_statements(dialect, indexed):
            op.execute(statement)
