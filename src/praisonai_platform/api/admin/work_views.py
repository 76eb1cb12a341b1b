"""Admin views of the work: workspaces, members, projects, issues, comments, labels,
dependencies, agents, and the audit trail (read-only).

Things are created through the API, where numbering, membership and the audit trail are kept;
here they can be looked at, corrected and removed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqladmin.filters import AllUniqueStringValuesFilter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_object_session
from starlette.requests import Request

from praisonai_platform.agents.schemas import AgentUpdate
from praisonai_platform.api.admin.audit import AuditedView, IssuePartView
from praisonai_platform.api.admin.base import EnumFilter, ReadOnlyView, plain_columns
from praisonai_platform.core.enums import InvitationStatus
from praisonai_platform.db.models import (
    ActivityLog,
    ActorType,
    Agent,
    AgentStatus,
    Comment,
    CommentType,
    DependencyType,
    Invitation,
    Issue,
    IssueDependency,
    IssueLabel,
    IssueLabelLink,
    IssuePriority,
    IssueStatus,
    Member,
    MemberRole,
    Project,
    ProjectStatus,
    Workspace,
)
from praisonai_platform.issues.comments.schemas import CommentUpdate
from praisonai_platform.issues.labels.schemas import LabelUpdate
from praisonai_platform.issues.schemas import IssueUpdate
from praisonai_platform.projects.schemas import ProjectUpdate
from praisonai_platform.workspaces.members import service as members
from praisonai_platform.workspaces.members.schemas import MemberUpdate
from praisonai_platform.workspaces.schemas import WorkspaceUpdate


class WorkspaceAdmin(AuditedView, model=Workspace):
    icon = "fa-solid fa-building"
    entity_type = "workspace"
    field_rules = WorkspaceUpdate
    column_list: ClassVar[Any] = [
        Workspace.id,
        Workspace.name,
        Workspace.slug,
        Workspace.issue_prefix,
        Workspace.issue_counter,
        Workspace.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Workspace)
    column_searchable_list: ClassVar[Any] = [Workspace.name, Workspace.slug, Workspace.issue_prefix]
    column_sortable_list: ClassVar[Any] = [Workspace.name, Workspace.created_at]
    form_columns: ClassVar[Any] = [Workspace.name, Workspace.description]

    async def trail_of(self, session: AsyncSession, model: Any) -> tuple[str, str | None]:
        return model.id, None

    async def on_model_delete(self, model: Any, request: Request) -> None:
        """The workspace's trail goes with it: nothing to record."""


class MemberAdmin(AuditedView, model=Member):
    icon = "fa-solid fa-users"
    entity_type = "member"
    field_rules = MemberUpdate
    column_list: ClassVar[Any] = [
        Member.id,
        Member.workspace_id,
        Member.user_id,
        Member.role,
        Member.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Member)
    column_searchable_list: ClassVar[Any] = [Member.workspace_id, Member.user_id]
    column_filters: ClassVar[Any] = [EnumFilter(Member.role, MemberRole)]
    column_sortable_list: ClassVar[Any] = [Member.created_at]
    form_columns: ClassVar[Any] = [Member.role]

    async def check_change(self, model: Any, data: dict[str, Any]) -> None:
        if model.role is MemberRole.OWNER and data.get("role", MemberRole.OWNER) != model.role:
            await _keep_an_owner(model, "the last owner cannot be demoted")

    def audit_details(self, model: Any) -> dict[str, Any]:
        return {"user_id": model.user_id}

    async def on_model_delete(self, model: Any, request: Request) -> None:
        if model.role is MemberRole.OWNER:
            await _keep_an_owner(model, "the last owner cannot be removed")
        await super().on_model_delete(model, request)


async def _keep_an_owner(member: Member, problem: str) -> None:
    """Refuse to take away a workspace's last owner, as the API does (409 `last_owner`, shown on
    the form): the workspace row is locked first, as the members service locks it, so that two
    changes never both see another owner left."""
    session = async_object_session(member)
    assert session is not None
    await session.execute(
        select(Workspace.id)
        .where(Workspace.id == member.workspace_id)
        .with_for_update(key_share=True)
    )
    await members.ensure_another_owner(session, member.workspace_id, problem)


class ProjectAdmin(AuditedView, model=Project):
    icon = "fa-solid fa-folder"
    entity_type = "project"
    field_rules = ProjectUpdate
    column_list: ClassVar[Any] = [
        Project.id,
        Project.workspace_id,
        Project.name,
        Project.status,
        Project.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Project)
    column_searchable_list: ClassVar[Any] = [Project.name, Project.workspace_id]
    column_filters: ClassVar[Any] = [EnumFilter(Project.status, ProjectStatus)]
    column_sortable_list: ClassVar[Any] = [Project.name, Project.created_at]
    form_columns: ClassVar[Any] = [Project.name, Project.description, Project.icon, Project.status]


class IssueAdmin(AuditedView, model=Issue):
    icon = "fa-solid fa-list-check"
    entity_type = "issue"
    field_rules = IssueUpdate
    column_list: ClassVar[Any] = [
        Issue.identifier,
        Issue.title,
        Issue.status,
        Issue.priority,
        Issue.workspace_id,
        Issue.assignee_id,
        Issue.assignee_agent_id,
        Issue.updated_at,
        Issue.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Issue)
    column_searchable_list: ClassVar[Any] = [Issue.identifier, Issue.title, Issue.workspace_id]
    column_filters: ClassVar[Any] = [
        EnumFilter(Issue.status, IssueStatus),
        EnumFilter(Issue.priority, IssuePriority),
    ]
    column_sortable_list: ClassVar[Any] = [
        Issue.identifier,
        Issue.title,
        Issue.updated_at,
        Issue.created_at,
    ]
    form_columns: ClassVar[Any] = [Issue.title, Issue.description, Issue.status, Issue.priority]

    async def trail_of(self, session: AsyncSession, model: Any) -> tuple[str, str | None]:
        return model.workspace_id, model.id


class CommentAdmin(IssuePartView, model=Comment):
    icon = "fa-solid fa-comment"
    entity_type = "comment"
    field_rules = CommentUpdate
    column_list: ClassVar[Any] = [
        Comment.id,
        Comment.issue_id,
        Comment.author_id,
        Comment.author_agent_id,
        Comment.type,
        Comment.content,
        Comment.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Comment)
    column_searchable_list: ClassVar[Any] = [Comment.content, Comment.issue_id, Comment.author_id]
    column_filters: ClassVar[Any] = [EnumFilter(Comment.type, CommentType)]
    column_sortable_list: ClassVar[Any] = [Comment.created_at]
    column_formatters: ClassVar[Any] = {
        Comment.content: lambda comment, _: (comment.content or "")[:120]
    }
    form_columns: ClassVar[Any] = [Comment.content]


class LabelAdmin(AuditedView, model=IssueLabel):
    name, name_plural = "Label", "Labels"
    icon = "fa-solid fa-tag"
    entity_type = "label"
    field_rules = LabelUpdate
    column_list: ClassVar[Any] = [
        IssueLabel.id,
        IssueLabel.workspace_id,
        IssueLabel.name,
        IssueLabel.color,
        IssueLabel.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(IssueLabel)
    column_searchable_list: ClassVar[Any] = [IssueLabel.name, IssueLabel.workspace_id]
    column_sortable_list: ClassVar[Any] = [IssueLabel.name, IssueLabel.created_at]
    form_columns: ClassVar[Any] = [IssueLabel.name, IssueLabel.color, IssueLabel.description]


class LabelLinkAdmin(IssuePartView, model=IssueLabelLink):
    name, name_plural = "Label link", "Label links"
    icon = "fa-solid fa-link"
    entity_type = "issue"
    column_list: ClassVar[Any] = [
        IssueLabelLink.id,
        IssueLabelLink.issue_id,
        IssueLabelLink.label_id,
        IssueLabelLink.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(IssueLabelLink)
    column_searchable_list: ClassVar[Any] = [IssueLabelLink.issue_id, IssueLabelLink.label_id]
    can_edit = False

    async def on_model_delete(self, model: Any, request: Request) -> None:
        # Recorded as the API records it: on the issue, as a removed label.
        details = {"label_id": model.label_id, "via": "admin"}
        about = ("issue", model.issue_id)
        await self._record(model, request, "label_removed", details, about=about)


class DependencyAdmin(IssuePartView, model=IssueDependency):
    name, name_plural = "Dependency", "Dependencies"
    icon = "fa-solid fa-diagram-project"
    entity_type = "dependency"
    column_list: ClassVar[Any] = [
        IssueDependency.id,
        IssueDependency.issue_id,
        IssueDependency.dependency_type,
        IssueDependency.depends_on_id,
        IssueDependency.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(IssueDependency)
    column_searchable_list: ClassVar[Any] = [
        IssueDependency.issue_id,
        IssueDependency.depends_on_id,
    ]
    column_filters: ClassVar[Any] = [EnumFilter(IssueDependency.dependency_type, DependencyType)]
    can_edit = False


class AgentAdmin(AuditedView, model=Agent):
    icon = "fa-solid fa-robot"
    entity_type = "agent"
    field_rules = AgentUpdate
    column_list: ClassVar[Any] = [
        Agent.id,
        Agent.workspace_id,
        Agent.name,
        Agent.status,
        Agent.runtime_mode,
        Agent.owner_id,
        Agent.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Agent)
    column_searchable_list: ClassVar[Any] = [Agent.name, Agent.workspace_id, Agent.owner_id]
    column_filters: ClassVar[Any] = [EnumFilter(Agent.status, AgentStatus)]
    column_sortable_list: ClassVar[Any] = [Agent.name, Agent.created_at]
    form_columns: ClassVar[Any] = [
        Agent.name,
        Agent.description,
        Agent.status,
        Agent.instructions,
        Agent.max_concurrent_tasks,
    ]


class ActivityAdmin(ReadOnlyView, model=ActivityLog):
    name, name_plural = "Activity", "Activity"
    icon = "fa-solid fa-clock-rotate-left"
    column_list: ClassVar[Any] = [
        ActivityLog.created_at,
        ActivityLog.workspace_id,
        ActivityLog.entity_type,
        ActivityLog.entity_id,
        ActivityLog.action,
        ActivityLog.actor_type,
        ActivityLog.actor_id,
    ]
    column_details_list: ClassVar[Any] = plain_columns(ActivityLog)
    column_searchable_list: ClassVar[Any] = [
        ActivityLog.workspace_id,
        ActivityLog.entity_id,
        ActivityLog.actor_id,
        ActivityLog.issue_id,
    ]
    column_filters: ClassVar[Any] = [
        AllUniqueStringValuesFilter(ActivityLog.entity_type),
        AllUniqueStringValuesFilter(ActivityLog.action),
        EnumFilter(ActivityLog.actor_type, ActorType),
    ]
    column_sortable_list: ClassVar[Any] = [ActivityLog.created_at]


class InvitationAdmin(ReadOnlyView, model=Invitation):
    """Read-only: an invitation changes only by its invitee's answer or an admin's revoke, through
    the API, so that nobody joins a workspace without saying yes."""

    icon = "fa-solid fa-envelope-open-text"
    column_list: ClassVar[Any] = [
        Invitation.created_at,
        Invitation.workspace_id,
        Invitation.email,
        Invitation.role,
        Invitation.status,
        Invitation.expires_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Invitation)
    column_searchable_list: ClassVar[Any] = [Invitation.email, Invitation.workspace_id]
    column_filters: ClassVar[Any] = [EnumFilter(Invitation.status, InvitationStatus)]
    column_sortable_list: ClassVar[Any] = [Invitation.created_at, Invitation.expires_at]


WORK_VIEWS = (
    WorkspaceAdmin,
    MemberAdmin,
    InvitationAdmin,
    ProjectAdmin,
    IssueAdmin,
    CommentAdmin,
    LabelAdmin,
    LabelLinkAdmin,
    DependencyAdmin,
    AgentAdmin,
    ActivityAdmin,
)
