"""Issues, their labels and the dependencies between them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    update,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from praisonai_platform.db.base import Base
from praisonai_platform.db.models.enums import DependencyType, IssuePriority, IssueStatus
from praisonai_platform.db.models.mixins import ID_LENGTH, CreatedAtMixin, IdMixin, TimestampMixin
from praisonai_platform.db.models.workspaces import Workspace
from praisonai_platform.db.types import JSONDict, str_enum

if TYPE_CHECKING:
    from praisonai_platform.db.models.projects import Project


def _user_fk() -> ForeignKey:
    return ForeignKey("users.id", ondelete="SET NULL")


def _agent_fk() -> ForeignKey:
    return ForeignKey("agents.id", ondelete="SET NULL")


# Priorities in their order, "none" lowest: what sorting by priority sorts by.
PRIORITY_RANKS = {priority: rank for rank, priority in enumerate(IssuePriority)}
PRIORITY_RANK_SQL = (
    "CASE priority "
    + " ".join(f"WHEN '{priority.value}' THEN {rank}" for priority, rank in PRIORITY_RANKS.items())
    + " ELSE 0 END"
)


class Issue(IdMixin, TimestampMixin, Base):
    __tablename__ = "issues"
    __table_args__ = (
        UniqueConstraint("workspace_id", "issue_number"),
        CheckConstraint("issue_number >= 1", name="issue_number_positive"),
        CheckConstraint(
            "assignee_id IS NULL OR assignee_agent_id IS NULL", name="assignee_is_user_or_agent"
        ),
        CheckConstraint(
            "created_by_id IS NULL OR created_by_agent_id IS NULL",
            name="creator_is_user_or_agent",
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        # One index per sort of a workspace's list, each ending in the sort's tie-breaker, and
        # the same sorts behind the status filter; a filter on a column with many values
        # (assignee, creator, project) keeps the default order by number. Other filter and
        # sort pairs walk a sort's index and skip what does not match (docs/rest-api.md).
        Index(None, "workspace_id", "created_at", "id"),
        Index(None, "workspace_id", "updated_at", "id"),
        Index(None, "workspace_id", "priority_rank", "issue_number"),
        Index(None, "workspace_id", "status", "issue_number"),
        Index(None, "workspace_id", "status", "created_at", "id"),
        Index(None, "workspace_id", "status", "updated_at", "id"),
        Index(None, "workspace_id", "status", "priority_rank", "issue_number"),
        Index(None, "workspace_id", "assignee_key", "issue_number"),
        Index(None, "workspace_id", "creator_key", "issue_number"),
        Index(None, "workspace_id", "project_id", "issue_number"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    project_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    # Sub-issues outlive their parent: deleting a parent makes its children top-level.
    parent_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), ForeignKey("issues.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[IssueStatus] = mapped_column(
        str_enum(IssueStatus, "issue_status"),
        nullable=False,
        default=IssueStatus.BACKLOG,
        server_default=IssueStatus.BACKLOG.value,
    )
    priority: Mapped[IssuePriority] = mapped_column(
        str_enum(IssuePriority, "issue_priority"),
        nullable=False,
        default=IssuePriority.MEDIUM,
        server_default=IssuePriority.MEDIUM.value,
    )
    assignee_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), _user_fk(), index=True)
    assignee_agent_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), _agent_fk(), index=True
    )
    created_by_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), _user_fk(), index=True)
    created_by_agent_id: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), _agent_fk(), index=True
    )
    issue_number: Mapped[int] = mapped_column(Integer, nullable=False)
    # The key the issue was born with (e.g. ENG-42); it keeps resolving after a prefix change.
    identifier: Mapped[str] = mapped_column(String(40), nullable=False)
    acceptance_criteria: Mapped[list[Any] | None] = mapped_column(JSONDict)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    # Computed by the database from the columns above, so no write path has to keep them right:
    # the order of priorities as a number, and whoever is assigned or created the issue, person
    # or agent, as one column an index can serve. Stored on PostgreSQL; the migration makes them
    # virtual on SQLite, which cannot add a stored column to a table (its indexes hold them).
    priority_rank: Mapped[int] = mapped_column(Integer, Computed(PRIORITY_RANK_SQL, persisted=True))
    assignee_key: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), Computed("COALESCE(assignee_id, assignee_agent_id)", persisted=True)
    )
    creator_key: Mapped[str | None] = mapped_column(
        String(ID_LENGTH), Computed("COALESCE(created_by_id, created_by_agent_id)", persisted=True)
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    workspace: Mapped[Workspace] = relationship(lazy="raise")
    project: Mapped[Project | None] = relationship(lazy="raise")
    parent: Mapped[Issue | None] = relationship(lazy="raise", remote_side="Issue.id")


@event.listens_for(Issue, "before_insert")
def _assign_issue_number(_mapper: Mapper[Issue], connection: Connection, issue: Issue) -> None:
    """Take the workspace's next number in the inserting transaction: gap-free, never reused.

    One atomic UPDATE … RETURNING: concurrent creators queue on the workspace row (PostgreSQL) or
    on the write lock (SQLite) instead of reading the same maximum.
    """
    # Until the insert, an attribute nobody set is None whatever its annotation says.
    if cast("int | None", issue.issue_number) is not None:
        return
    row = connection.execute(
        update(Workspace)
        .where(Workspace.id == issue.workspace_id)
        # updated_at is named only so that its onupdate does not fire: numbering an issue is
        # not a change of the workspace.
        .values(issue_counter=Workspace.issue_counter + 1, updated_at=Workspace.updated_at)
        .returning(Workspace.issue_counter, Workspace.issue_prefix)
    ).one_or_none()
    if row is None:
        return  # no such workspace: the foreign key refuses the insert
    issue.issue_number = row.issue_counter
    if cast("str | None", issue.identifier) is None:
        issue.identifier = f"{row.issue_prefix}-{row.issue_counter}"


class IssueLabel(IdMixin, TimestampMixin, Base):
    __tablename__ = "issue_labels"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        CheckConstraint("length(color) = 7 AND substr(color, 1, 1) = '#'", name="color_hex"),
    )

    workspace_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    color: Mapped[str] = mapped_column(
        String(7), nullable=False, default="#000000", server_default="#000000"
    )
    description: Mapped[str | None] = mapped_column(Text)

    workspace: Mapped[Workspace] = relationship(lazy="raise")


class IssueLabelLink(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "issue_label_links"
    __table_args__ = (UniqueConstraint("issue_id", "label_id"),)

    issue_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("issues.id", ondelete="CASCADE"), nullable=False
    )
    label_id: Mapped[str] = mapped_column(
        String(ID_LENGTH),
        ForeignKey("issue_labels.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )

    issue: Mapped[Issue] = relationship(lazy="raise")
    label: Mapped[IssueLabel] = relationship(lazy="raise")


class IssueDependency(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "issue_dependencies"
    __table_args__ = (
        UniqueConstraint("issue_id", "depends_on_id", "dependency_type"),
        CheckConstraint("issue_id <> depends_on_id", name="not_self"),
    )

    issue_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("issues.id", ondelete="CASCADE"), nullable=False
    )
    depends_on_id: Mapped[str] = mapped_column(
        String(ID_LENGTH), ForeignKey("issues.id", ondelete="CASCADE"), nullable=False, index=True
    )
    dependency_type: Mapped[DependencyType] = mapped_column(
        str_enum(DependencyType, "dependency_type"),
        nullable=False,
        default=DependencyType.BLOCKS,
        server_default=DependencyType.BLOCKS.value,
    )

    issue: Mapped[Issue] = relationship(lazy="raise", foreign_keys=[issue_id])
    depends_on: Mapped[Issue] = relationship(lazy="raise", foreign_keys=[depends_on_id])
