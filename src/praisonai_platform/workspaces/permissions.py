"""The permission table: who may do what in a workspace, enforced by every service.

A caller who is not a member of a workspace learns nothing about it (NotFound); a member whose role
is too low is told so (Forbidden). Some actions are also open to the resource's own creator, author,
owner or lead, whatever their role.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Forbidden, NotFound
from praisonai_platform.db.models import Member, MemberRole, Workspace

ROLE_RANK = {MemberRole.MEMBER: 1, MemberRole.ADMIN: 2, MemberRole.OWNER: 3}


class Action(enum.StrEnum):
    WORKSPACE_READ = "workspace.read"
    WORKSPACE_UPDATE = "workspace.update"
    WORKSPACE_DELETE = "workspace.delete"
    MEMBER_LIST = "member.list"
    MEMBER_MANAGE = "member.manage"
    MEMBER_GRANT_PRIVILEGED = "member.grant_privileged"
    PROJECT_CREATE = "project.create"
    PROJECT_READ = "project.read"
    PROJECT_CHANGE = "project.change"
    ISSUE_CREATE = "issue.create"
    ISSUE_READ = "issue.read"
    ISSUE_UPDATE = "issue.update"
    ISSUE_DELETE = "issue.delete"
    COMMENT_CREATE = "comment.create"
    COMMENT_READ = "comment.read"
    COMMENT_EDIT = "comment.edit"
    COMMENT_DELETE = "comment.delete"
    LABEL_CREATE = "label.create"
    LABEL_READ = "label.read"
    LABEL_ATTACH = "label.attach"
    LABEL_CHANGE = "label.change"
    DEPENDENCY_MANAGE = "dependency.manage"
    AGENT_CREATE = "agent.create"
    AGENT_READ = "agent.read"
    AGENT_CHANGE = "agent.change"
    ACTIVITY_READ = "activity.read"
    RUN_CREATE = "run.create"
    RUN_READ = "run.read"
    RUN_STOP = "run.stop"
    RUN_WORK = "run.work"


@dataclass(frozen=True, slots=True)
class Rule:
    """`min_role` may always act; `or_own` lets the resource's own person act below it;
    a rule with `min_role=None` is open to its own person only."""

    min_role: MemberRole | None
    or_own: bool = False
    writes: bool = True


_MEMBER, _ADMIN, _OWNER = MemberRole.MEMBER, MemberRole.ADMIN, MemberRole.OWNER

PERMISSIONS: dict[Action, Rule] = {
    Action.WORKSPACE_READ: Rule(_MEMBER, writes=False),
    Action.WORKSPACE_UPDATE: Rule(_ADMIN),
    Action.WORKSPACE_DELETE: Rule(_OWNER),
    Action.MEMBER_LIST: Rule(_MEMBER, writes=False),
    Action.MEMBER_MANAGE: Rule(_ADMIN),
    Action.MEMBER_GRANT_PRIVILEGED: Rule(_OWNER),
    Action.PROJECT_CREATE: Rule(_MEMBER),
    Action.PROJECT_READ: Rule(_MEMBER, writes=False),
    Action.PROJECT_CHANGE: Rule(_ADMIN, or_own=True),
    Action.ISSUE_CREATE: Rule(_MEMBER),
    Action.ISSUE_READ: Rule(_MEMBER, writes=False),
    Action.ISSUE_UPDATE: Rule(_MEMBER),
    Action.ISSUE_DELETE: Rule(_ADMIN, or_own=True),
    Action.COMMENT_CREATE: Rule(_MEMBER),
    Action.COMMENT_READ: Rule(_MEMBER, writes=False),
    Action.COMMENT_EDIT: Rule(None, or_own=True),
    Action.COMMENT_DELETE: Rule(_ADMIN, or_own=True),
    Action.LABEL_CREATE: Rule(_MEMBER),
    Action.LABEL_READ: Rule(_MEMBER, writes=False),
    Action.LABEL_ATTACH: Rule(_MEMBER),
    Action.LABEL_CHANGE: Rule(_ADMIN),
    Action.DEPENDENCY_MANAGE: Rule(_MEMBER),
    Action.AGENT_CREATE: Rule(_MEMBER),
    Action.AGENT_READ: Rule(_MEMBER, writes=False),
    Action.AGENT_CHANGE: Rule(_ADMIN, or_own=True),
    Action.ACTIVITY_READ: Rule(_MEMBER, writes=False),
    Action.RUN_CREATE: Rule(_MEMBER),
    Action.RUN_READ: Rule(_MEMBER, writes=False),
    Action.RUN_STOP: Rule(_MEMBER),
    # Claiming and reporting on runs as a worker (events of a run are read with RUN_READ).
    Action.RUN_WORK: Rule(_MEMBER),
}


@dataclass(frozen=True, slots=True)
class Access:
    """A caller's standing in one workspace, as loaded by `workspace_access`."""

    actor: Actor
    workspace: Workspace
    member: Member

    @property
    def role(self) -> MemberRole:
        return self.member.role

    def credential_allows(self, action: Action) -> bool:
        """Whether the credential's scopes permit the action at all (read-only API keys)."""
        scopes = self.actor.scopes
        return not PERMISSIONS[action].writes or scopes is None or "write" in scopes

    def allows(self, action: Action, *, own: bool = False) -> bool:
        rule = PERMISSIONS[action]
        if not self.credential_allows(action):
            return False
        if rule.or_own and own:
            return True
        return rule.min_role is not None and ROLE_RANK[self.role] >= ROLE_RANK[rule.min_role]

    def require(self, action: Action, *, own: bool = False) -> None:
        if not self.allows(action, own=own):
            raise Forbidden(f"your role in this workspace does not allow {action.value}")


async def workspace_access(
    session: AsyncSession, actor: Actor, workspace_id: str, action: Action, *, lock: bool = False
) -> Access:
    """Load the workspace and the caller's membership, and check `action` for the role alone.

    Rules that are also open to the resource's own person are checked again by the service with
    `own=`; here only membership is required for them.
    """
    if actor.workspace_id is not None and actor.workspace_id != workspace_id:
        raise Forbidden("this API key is limited to another workspace", code="key_out_of_scope")
    statement = (
        select(Workspace, Member)
        .join(Member, Member.workspace_id == Workspace.id)
        .where(Workspace.id == workspace_id, Member.user_id == actor.user_id)
    )
    if lock:
        # FOR NO KEY UPDATE: serialises changes to the workspace row (counters, owners) without
        # blocking inserts of rows that merely reference it. populate_existing: the membership
        # read after the wait is the current one, not what this session saw before it.
        statement = statement.with_for_update(of=Workspace, key_share=True).execution_options(
            populate_existing=True
        )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise NotFound("workspace not found")
    access = Access(actor=actor, workspace=row.Workspace, member=row.Member)
    if not PERMISSIONS[action].or_own:
        access.require(action)
    elif not access.credential_allows(action):
        raise Forbidden(f"this credential does not allow {action.value}")
    return access
