"""email verification, sessions and one-time account tokens

Revision ID: 0005
Revises: 0004

Existing accounts start unverified: an address typed at registration was never proven, and
treating it as verified would let an account made in someone else's name capture their later
provider sign-in. An account whose address a linked provider identity reported as verified is
marked verified.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from praisonai_platform.db.types import UTCDateTime, utcnow

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table(
    "users",
    sa.column("id", sa.String(36)),
    sa.column("email", sa.String(320)),
    sa.column("email_verified_at", UTCDateTime()),
)
_providers = sa.table(
    "user_providers",
    sa.column("user_id", sa.String(36)),
    sa.column("email", sa.String(320)),
    sa.column("email_verified", sa.Boolean()),
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
        )
    op.create_table(
        "account_tokens",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at",
            UTCDateTime(),
            server_default=sa.func.current_timestamp(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_tokens_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_tokens_user_id_purpose"), ["user_id", "purpose"], unique=False
        )
    vouched = (
        sa.select(_providers.c.user_id)
        .where(
            _providers.c.user_id == _users.c.id,
            _providers.c.email == _users.c.email,
            _providers.c.email_verified.is_(True),
        )
        .exists()
    )
    op.get_bind().execute(sa.update(_users).where(vouched).values(email_verified_at=utcnow()))


def downgrade() -> None:
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_tokens_user_id_purpose"))
        batch_op.drop_index(batch_op.f("ix_account_tokens_expires_at"))
    op.drop_table("account_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("token_version")
        batch_op.drop_column("email_verified_at")
