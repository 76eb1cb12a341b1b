"""The permission table: who may do what, with which credential, enforced by every service.

A caller who is not a member of a workspace learns nothing about it (NotFound); a member whose role
is too low is told so (Forbidden). Some actions are also open to the resource's own creator, author,
owner or lead, whatever their role.

Each rule also names the weakest credential that may exercise it (`Rule.credential`). Credentials,
weakest first: an agent's API key (`Credential.AGENT`: it acts with member rights at most, whatever
its owner's role), a person's read-only or workspace-limited key (`Credential.SCOPED_KEY`), a
person's full key (`Credential.FULL_KEY`: write scope, no workspace), a signed-in session
(`Credential.SESSION`). Read-only keys never change anything (`Rule.writes`), and workspace-limited
keys act in their workspace only. A few actions belong to no workspace (API keys, site
administration): they have no role, only a credential and, for some, the site-administrator flag.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import object_session

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Forbidden, NotFound
from praisonai_platform.db.models import Member, MemberRole, Workspace

# The one answer for a workspace the caller is not a member of and one that does not exist (so
# existence is not revealed); the 0.1.9 dialect recognises it to answer 403 instead.
WORKSPACE_NOT_FOUND = "workspace not found"

ROLE_RANK = {MemberRole.MEMBER: 1, MemberRole.ADMIN: 2, MemberRole.OWNER: 3}
# An agent acting through its API key has these rights at most, whatever its owner's role.
AGENT_MAX_ROLE = MemberRole.MEMBER


class Credential(enum.IntEnum):
    """What kind of credential a request came with, weakest first (see the module docstring)."""

    AGENT = 1
    SCOPED_KEY = 2
    FULL_KEY = 3
    SESSION = 4

    @classmethod
    def of(cls, actor: Actor) -> Credential:
        if actor.is_system:
            return cls.SESSION  # the server's own workers: not a credential anyone holds
        if actor.is_agent:
            return cls.AGENT
        if actor.api_key_id is None:
            return cls.SESSION
        return cls.FULL_KEY if actor.is_unrestricted else cls.SCOPED_KEY


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
    WEBHOOK_MANAGE = "webhook.manage"
    # Outside any workspace: no role, only the credential (and the site-administrator flag).
    API_KEY_CREATE = "api_key.create"
    API_KEY_LIST = "api_key.list"
    API_KEY_REVOKE = "api_key.revoke"
    CREDITS_MANAGE = "credits.manage"
    ADMIN_READ_ALL = "admin.read_all"


@dataclass(frozen=True, slots=True)
class Rule:
    """`min_role` may always act; `or_own` lets the resource's own person act below it;
    a rule with `min_role=None` is open to its own person only. `credential`: the weakest
    credential that may act at all; `writes`: read-only keys may not. `site_admin`: only site
    administrators (`users.is_admin`), for actions outside any workspace (`in_workspace=False`)."""

    min_role: MemberRole | None
    or_own: bool = False
    writes: bool = True
    credential: Credential = Credential.AGENT
    in_workspace: bool = True
    site_admin: bool = False


def _account(credential: Credential, *, writes: bool = True, site_admin: bool = False) -> Rule:
    """A rule for an action outside any workspace."""
    return Rule(
        None, writes=writes, credential=credential, in_workspace=False, site_admin=site_admin
    )


_MEMBER, _ADMIN, _OWNER = MemberRole.MEMBER, MemberRole.ADMIN, MemberRole.OWNER
_PERSON = Credential.SCOPED_KEY  # never an agent's key

PERMISSIONS: dict[Action, Rule] = {
    Action.WORKSPACE_READ: Rule(_MEMBER, writes=False),
    Action.WORKSPACE_UPDATE: Rule(_ADMIN, credential=_PERSON),
    Action.WORKSPACE_DELETE: Rule(_OWNER, credential=_PERSON),
    Action.MEMBER_LIST: Rule(_MEMBER, writes=False),
    # Also leaving and stepping down: an agent never changes its owner's membership.
    Action.MEMBER_MANAGE: Rule(_ADMIN, credential=_PERSON),
    Action.MEMBER_GRANT_PRIVILEGED: Rule(_OWNER, credential=_PERSON),
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
    # Outgoing webhooks: their URLs and signing secrets are the admins' (a person's full key).
    Action.WEBHOOK_MANAGE: Rule(_ADMIN, credential=_PERSON),
    # Keys are made with a password session only; listed and revoked with a session or a full
    # key (any key may revoke itself).
    Action.API_KEY_CREATE: _account(Credential.SESSION),
    Action.API_KEY_LIST: _account(Credential.FULL_KEY, writes=False),
    Action.API_KEY_REVOKE: _account(Credential.FULL_KEY),
    # Granting, debiting and adjusting anyone's credits.
    Action.CREDITS_MANAGE: _account(Credential.FULL_KEY, site_admin=True),
    # Listings across every user (every worker, every event); others see their own only.
    Action.ADMIN_READ_ALL: _account(Credential.FULL_KEY, writes=False, site_admin=True),
}


_TOO_WEAK: dict[Credential, tuple[str, str]] = {
    Credential.AGENT: ("agent_not_allowed", "an agent's API key has member rights at most"),
    Credential.SCOPED_KEY: (
        "restricted_key_not_allowed",
        "a read-only or workspace-limited API key",
    ),
    Credential.FULL_KEY: ("api_key_not_allowed", "an API key"),
}


def credential_permits(actor: Actor, action: Action) -> bool:
    """Whether the credential may exercise the action at all, whatever the caller's role."""
    rule = PERMISSIONS[action]
    if actor.is_system:
        return True
    if Credential.of(actor) < rule.credential:
        return False
    if rule.site_admin and not actor.user.is_admin:
        return False
    return not rule.writes or actor.scopes is None or "write" in actor.scopes


def require_credential(actor: Actor, action: Action) -> None:
    """Forbidden, with a stable code, unless the credential may exercise the action."""
    if credential_permits(actor, action):
        return
    rule = PERMISSIONS[action]
    if rule.site_admin:
        raise Forbidden(
            f"{action.value} needs a site administrator's session or full API key",
            code="admin_only",
        )
    kind = Credential.of(actor)
    if kind < rule.credential:
        code, what = _TOO_WEAK[kind]
        raise Forbidden(f"{what} cannot {action.value}", code=code)
    raise Forbidden(f"this credential does not allow {action.value}")


@dataclass(frozen=True, slots=True)
class Access:
    """A caller's standing in one workspace, as loaded by `workspace_access`."""

    actor: Actor
    workspace: Workspace
    member: Member

    @property
    def role(self) -> MemberRole:
        """The member's role, as the credential may use it: an agent's key has member rights
        at most."""
        role = self.member.role
        if self.actor.is_agent and ROLE_RANK[role] > ROLE_RANK[AGENT_MAX_ROLE]:
            return AGENT_MAX_ROLE
        return role

    def credential_allows(self, action: Action) -> bool:
        """Whether the credential permits the action at all (agents' keys, read-only keys)."""
        return credential_permits(self.actor, action)

    def allows(self, action: Action, *, own: bool = False) -> bool:
        rule = PERMISSIONS[action]
        if not self.credential_allows(action):
            return False
        if rule.or_own and own:
            return True
        return rule.min_role is not None and ROLE_RANK[self.role] >= ROLE_RANK[rule.min_role]

    def require(self, action: Action, *, own: bool = False) -> None:
        if self.allows(action, own=own):
            return
        require_credential(self.actor, action)
        min_role = PERMISSIONS[action].min_role
        if (
            self.actor.is_agent
            and min_role is not None
            and ROLE_RANK[self.member.role] >= ROLE_RANK[min_role]
        ):
            raise Forbidden(
                f"an agent's API key has member rights at most: it cannot {action.value}",
                code="agent_not_allowed",
            )
        raise Forbidden(f"your role in this workspace does not allow {action.value}")


async def workspace_access(
    session: AsyncSession, actor: Actor, workspace_id: str, action: Action, *, lock: bool = False
) -> Access:
    """Load the workspace and the caller's membership, and check `action` for the role alone.

    Rules that are also open to the resource's own person are checked again by the service with
    `own=`; here only membership is required for them.
    """
    if not PERMISSIONS[action].in_workspace:
        raise ValueError(f"{action.value} is not a workspace action: use require_credential")
    if actor.workspace_id is not None and actor.workspace_id != workspace_id:
        raise Forbidden("this API key is limited to another workspace", code="key_out_of_scope")
    known = _known_membership(session, actor, workspace_id) if not lock else None
    if known is not None:
        workspace, member = known
    else:
        workspace, member = await _load_membership(session, actor, workspace_id, lock=lock)
    if workspace is None or member is None:
        raise NotFound(WORKSPACE_NOT_FOUND)
    access = Access(actor=actor, workspace=workspace, member=member)
    if not PERMISSIONS[action].or_own:
        access.require(action)
    else:
        require_credential(actor, action)
    return access


def _known_membership(
    session: AsyncSession, actor: Actor, workspace_id: str
) -> tuple[Workspace | None, Member | None] | None:
    """The membership loaded with the actor's credential, if it is for this workspace and its
    objects belong to this session (changes to them must be flushed by it); None: ask."""
    known = None if actor.is_system else actor.membership
    if known is None or known.workspace_id != workspace_id:
        return None
    if known.member is not None and object_session(known.member) is not session.sync_session:
        return None
    return known.workspace, known.member


async def _load_membership(
    session: AsyncSession, actor: Actor, workspace_id: str, *, lock: bool
) -> tuple[Workspace | None, Member | None]:
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
    return (None, None) if row is None else (row.Workspace, row.Member)
