"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 23:59:28.878694
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from praisonai_platform.db.types import UTCDateTime

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "nonces",
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=128), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column(
            "response",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nonces")),
        sa.UniqueConstraint("scope", "key", name=op.f("uq_nonces_scope_key")),
    )
    with op.batch_alter_table("nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nonces_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "users",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=35), nullable=True),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("credit_balance", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_users_email_lowercase")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("last_heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("current_run_id", sa.String(length=36), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workers_last_heartbeat_at"), ["last_heartbeat_at"], unique=False
        )

    op.create_table(
        "workspaces",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("issue_prefix", sa.String(length=20), server_default="ISSUE", nullable=False),
        sa.Column("issue_counter", sa.Integer(), server_default="0", nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint(
            "issue_counter >= 0", name=op.f("ck_workspaces_issue_counter_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("slug", name=op.f("uq_workspaces_slug")),
    )
    op.create_table(
        "activity_logs",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=36), nullable=False),
        sa.Column("issue_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column(
            "actor_type",
            sa.Enum(
                "user",
                "agent",
                "system",
                name="activity_actor_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="user",
            nullable=False,
        ),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_activity_logs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_logs")),
    )
    with op.batch_alter_table("activity_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_logs_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_activity_logs_entity_type_entity_id"),
            ["entity_type", "entity_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_activity_logs_issue_id_created_at"),
            ["issue_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_activity_logs_workspace_id_created_at"),
            ["workspace_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "agents",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "idle",
                "active",
                "offline",
                "blocked",
                "error",
                name="agent_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="idle",
            nullable=False,
        ),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("avatar_url", sa.String(length=2048), nullable=True),
        sa.Column(
            "runtime_mode",
            sa.Enum(
                "local",
                "cloud",
                "remote",
                name="agent_runtime_mode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="local",
            nullable=False,
        ),
        sa.Column(
            "runtime_config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("max_concurrent_tasks", sa.Integer(), server_default="1", nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint(
            "max_concurrent_tasks >= 1", name=op.f("ck_agents_max_concurrent_tasks_positive")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_agents_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_agents_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agents_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agents_workspace_id_status"), ["workspace_id", "status"], unique=False
        )

    op.create_table(
        "credit_ledger",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=50), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("api_key_id", sa.String(length=36), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column(
            "actor_type",
            sa.Enum(
                "user",
                "agent",
                "system",
                name="ledger_actor_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_credit_ledger_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_ledger")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_credit_ledger_source_external_id")
        ),
    )
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_ledger_api_key_id"), ["api_key_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credit_ledger_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_credit_ledger_user_id_created_at"),
            ["user_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "issue_labels",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("color", sa.String(length=7), server_default="#000000", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint(
            "length(color) = 7 AND substr(color, 1, 1) = '#'",
            name=op.f("ck_issue_labels_color_hex"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_issue_labels_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_labels")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_issue_labels_workspace_id_name")),
    )
    op.create_table(
        "members",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "owner",
                "admin",
                "member",
                name="member_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="member",
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_members_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
        sa.UniqueConstraint(
            "workspace_id", "user_id", name=op.f("uq_members_workspace_id_user_id")
        ),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "payment_records",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column(
            "provider",
            sa.Enum(
                "stripe",
                "telegram",
                name="payment_provider",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("provider_payment_id", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "completed",
                "failed",
                "refunded",
                name="payment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("ledger_entry_id", sa.String(length=36), nullable=True),
        sa.Column(
            "raw_event",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_payment_records_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_records")),
        sa.UniqueConstraint(
            "provider",
            "provider_payment_id",
            name=op.f("uq_payment_records_provider_provider_payment_id"),
        ),
    )
    with op.batch_alter_table("payment_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_records_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_providers",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=50), nullable=False),
        sa.Column("provider_user_id", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_verified", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "raw_profile",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_providers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_providers")),
        sa.UniqueConstraint(
            "provider", "provider_user_id", name=op.f("uq_user_providers_provider_provider_user_id")
        ),
    )
    with op.batch_alter_table("user_providers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_providers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "projects",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("icon", sa.String(length=100), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "active",
                "paused",
                "completed",
                "cancelled",
                name="project_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="active",
            nullable=False,
        ),
        sa.Column("lead_id", sa.String(length=36), nullable=True),
        sa.Column("lead_agent_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint(
            "lead_id IS NULL OR lead_agent_id IS NULL",
            name=op.f("ck_projects_lead_is_user_or_agent"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_agent_id"],
            ["agents.id"],
            name=op.f("fk_projects_lead_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["users.id"], name=op.f("fk_projects_lead_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_projects_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projects_lead_agent_id"), ["lead_agent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_projects_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_projects_workspace_id_created_at"),
            ["workspace_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "user_api_keys",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=True),
        sa.Column("workspace_id", sa.String(length=36), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("key_prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_user_api_keys_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_api_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_user_api_keys_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_api_keys_key_hash")),
    )
    with op.batch_alter_table("user_api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_api_keys_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_user_api_keys_user_id_revoked_at"),
            ["user_id", "revoked_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_user_api_keys_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "issues",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "backlog",
                "todo",
                "in-progress",
                "in-review",
                "blocked",
                "done",
                "cancelled",
                name="issue_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="backlog",
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "none",
                "low",
                "medium",
                "high",
                "urgent",
                name="issue_priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="medium",
            nullable=False,
        ),
        sa.Column("assignee_id", sa.String(length=36), nullable=True),
        sa.Column("assignee_agent_id", sa.String(length=36), nullable=True),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.Column("created_by_agent_id", sa.String(length=36), nullable=True),
        sa.Column("issue_number", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=40), nullable=False),
        sa.Column(
            "acceptance_criteria",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint(
            "assignee_id IS NULL OR assignee_agent_id IS NULL",
            name=op.f("ck_issues_assignee_is_user_or_agent"),
        ),
        sa.CheckConstraint(
            "created_by_id IS NULL OR created_by_agent_id IS NULL",
            name=op.f("ck_issues_creator_is_user_or_agent"),
        ),
        sa.CheckConstraint("issue_number >= 1", name=op.f("ck_issues_issue_number_positive")),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_issues_not_own_parent")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_agent_id"],
            ["agents.id"],
            name=op.f("fk_issues_assignee_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_issues_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_agent_id"],
            ["agents.id"],
            name=op.f("fk_issues_created_by_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_issues_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["issues.id"],
            name=op.f("fk_issues_parent_id_issues"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_issues_project_id_projects"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_issues_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issues")),
        sa.UniqueConstraint(
            "workspace_id", "issue_number", name=op.f("uq_issues_workspace_id_issue_number")
        ),
    )
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issues_assignee_agent_id"), ["assignee_agent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_issues_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_issues_created_by_agent_id"), ["created_by_agent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_issues_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_issues_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issues_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_issues_workspace_id_created_at"),
            ["workspace_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_issues_workspace_id_priority"),
            ["workspace_id", "priority"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_issues_workspace_id_status"), ["workspace_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_issues_workspace_id_updated_at"),
            ["workspace_id", "updated_at"],
            unique=False,
        )

    op.create_table(
        "comments",
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("author_agent_id", sa.String(length=36), nullable=True),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column(
            "type",
            sa.Enum(
                "comment",
                "system",
                "agent_result",
                name="comment_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="comment",
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint(
            "author_id IS NULL OR author_agent_id IS NULL",
            name=op.f("ck_comments_author_is_user_or_agent"),
        ),
        sa.ForeignKeyConstraint(
            ["author_agent_id"],
            ["agents.id"],
            name=op.f("fk_comments_author_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_comments_issue_id_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["comments.id"],
            name=op.f("fk_comments_parent_id_comments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comments_author_agent_id"), ["author_agent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_comments_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_comments_issue_id_created_at"), ["issue_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_comments_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "issue_dependencies",
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("depends_on_id", sa.String(length=36), nullable=False),
        sa.Column(
            "dependency_type",
            sa.Enum(
                "blocks",
                "blocked_by",
                "related",
                name="dependency_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="blocks",
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint(
            "issue_id <> depends_on_id", name=op.f("ck_issue_dependencies_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["depends_on_id"],
            ["issues.id"],
            name=op.f("fk_issue_dependencies_depends_on_id_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_issue_dependencies_issue_id_issues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_dependencies")),
        sa.UniqueConstraint(
            "issue_id",
            "depends_on_id",
            "dependency_type",
            name=op.f("uq_issue_dependencies_issue_id_depends_on_id_dependency_type"),
        ),
    )
    with op.batch_alter_table("issue_dependencies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issue_dependencies_depends_on_id"), ["depends_on_id"], unique=False
        )

    op.create_table(
        "issue_label_links",
        sa.Column("issue_id", sa.String(length=36), nullable=False),
        sa.Column("label_id", sa.String(length=36), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_issue_label_links_issue_id_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["issue_labels.id"],
            name=op.f("fk_issue_label_links_label_id_issue_labels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_label_links")),
        sa.UniqueConstraint(
            "issue_id", "label_id", name=op.f("uq_issue_label_links_issue_id_label_id")
        ),
    )
    with op.batch_alter_table("issue_label_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_issue_label_links_label_id"), ["label_id"], unique=False
        )

    op.create_table(
        "runs",
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("issue_id", sa.String(length=36), nullable=True),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_by_type",
            sa.Enum(
                "user",
                "agent",
                "system",
                name="run_creator_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="user",
            nullable=False,
        ),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "processing",
                "completed",
                "failed",
                "stopped",
                name="run_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="pending",
            nullable=False,
        ),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("progress_percentage", sa.Float(), server_default="0", nullable=False),
        sa.Column("progress_message", sa.Text(), nullable=True),
        sa.Column("steps_completed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("steps_total", sa.Integer(), nullable=True),
        sa.Column("current_step", sa.String(length=500), nullable=True),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("failure_reason", sa.String(length=100), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("attempt_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), server_default="3", nullable=False),
        sa.Column("worker_id", sa.String(length=100), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("stop_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("stop_requested_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "updated_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.CheckConstraint("attempt_count >= 0", name=op.f("ck_runs_attempt_count_not_negative")),
        sa.CheckConstraint("max_attempts >= 1", name=op.f("ck_runs_max_attempts_positive")),
        sa.CheckConstraint(
            "progress_percentage >= 0 AND progress_percentage <= 100",
            name=op.f("ck_runs_progress_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_runs_agent_id_agents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_runs_issue_id_issues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_runs_worker_id_workers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_runs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runs_agent_id_state"), ["agent_id", "state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_runs_issue_id"), ["issue_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_runs_state_created_at"), ["state", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_runs_state_lease_expires_at"),
            ["state", "lease_expires_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_runs_worker_id"), ["worker_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_runs_workspace_id_created_at"),
            ["workspace_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "events",
        sa.Column(
            "event_type",
            sa.Enum(
                "run_pending",
                "run_processing",
                "run_progress",
                "run_completed",
                "run_failed",
                "run_stopped",
                "run_reclaimed",
                "worker_online",
                "worker_offline",
                "error",
                "system",
                name="event_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("workspace_id", sa.String(length=36), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("worker_id", sa.String(length=100), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column(
            "created_at", UTCDateTime(), server_default=sa.func.current_timestamp(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_events_run_id_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_events_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_event_type_created_at"),
            ["event_type", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_events_run_id_created_at"), ["run_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_events_workspace_id_created_at"),
            ["workspace_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_workspace_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_events_run_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_events_event_type_created_at"))

    op.drop_table("events")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_workspace_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_runs_worker_id"))
        batch_op.drop_index(batch_op.f("ix_runs_state_lease_expires_at"))
        batch_op.drop_index(batch_op.f("ix_runs_state_created_at"))
        batch_op.drop_index(batch_op.f("ix_runs_issue_id"))
        batch_op.drop_index(batch_op.f("ix_runs_agent_id_state"))

    op.drop_table("runs")
    with op.batch_alter_table("issue_label_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_label_links_label_id"))

    op.drop_table("issue_label_links")
    with op.batch_alter_table("issue_dependencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_dependencies_depends_on_id"))

    op.drop_table("issue_dependencies")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comments_parent_id"))
        batch_op.drop_index(batch_op.f("ix_comments_issue_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_comments_author_id"))
        batch_op.drop_index(batch_op.f("ix_comments_author_agent_id"))

    op.drop_table("comments")
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issues_workspace_id_updated_at"))
        batch_op.drop_index(batch_op.f("ix_issues_workspace_id_status"))
        batch_op.drop_index(batch_op.f("ix_issues_workspace_id_priority"))
        batch_op.drop_index(batch_op.f("ix_issues_workspace_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_issues_project_id"))
        batch_op.drop_index(batch_op.f("ix_issues_parent_id"))
        batch_op.drop_index(batch_op.f("ix_issues_created_by_id"))
        batch_op.drop_index(batch_op.f("ix_issues_created_by_agent_id"))
        batch_op.drop_index(batch_op.f("ix_issues_assignee_id"))
        batch_op.drop_index(batch_op.f("ix_issues_assignee_agent_id"))

    op.drop_table("issues")
    with op.batch_alter_table("user_api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_api_keys_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_user_api_keys_user_id_revoked_at"))
        batch_op.drop_index(batch_op.f("ix_user_api_keys_agent_id"))

    op.drop_table("user_api_keys")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_workspace_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_projects_lead_id"))
        batch_op.drop_index(batch_op.f("ix_projects_lead_agent_id"))

    op.drop_table("projects")
    with op.batch_alter_table("user_providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_providers_user_id"))

    op.drop_table("user_providers")
    with op.batch_alter_table("payment_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_records_user_id"))

    op.drop_table("payment_records")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_user_id"))

    op.drop_table("members")
    op.drop_table("issue_labels")
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_ledger_user_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_credit_ledger_run_id"))
        batch_op.drop_index(batch_op.f("ix_credit_ledger_api_key_id"))

    op.drop_table("credit_ledger")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agents_workspace_id_status"))
        batch_op.drop_index(batch_op.f("ix_agents_owner_id"))

    op.drop_table("agents")
    with op.batch_alter_table("activity_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_logs_workspace_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_activity_logs_issue_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_activity_logs_entity_type_entity_id"))
        batch_op.drop_index(batch_op.f("ix_activity_logs_actor_id"))

    op.drop_table("activity_logs")
    op.drop_table("workspaces")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_last_heartbeat_at"))

    op.drop_table("workers")
    op.drop_table("users")
    with op.batch_alter_table("nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nonces_expires_at"))

    op.drop_table("nonces")
