"""Members: who belongs to a workspace and with which role.

Admins manage members; only owners grant admin or owner and only owners touch owners. Anyone may
leave. People join by accepting an invitation (workspaces.invitations); adding a user directly
is for servers whose operator allows it. A workspace always keeps at least one owner: changes
that could remove an owner lock the workspace row first, so two of them never both see "another
owner is left".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import Member, MemberRole, User
from praisonai_platform.workspaces.permissions import (
    ROLE_RANK,
    WORKSPACE_NOT_FOUND,
    Access,
    Action,
    require_credential,
    workspace_access,
)

PRIVILEGED = frozenset({MemberRole.ADMIN, MemberRole.OWNER})


async def list_members(
    session: AsyncSession, actor: Actor, workspace_id: str, page: PageRequest
) -> Page[Member]:
    await workspace_access(session, actor, workspace_id, Action.MEMBER_LIST)
    order = [
        SortKey("created_at", Member.created_at, kind=datetime),
        SortKey("id", Member.id),
    ]
    return await paginate(
        session, _with_user().where(Member.workspace_id == workspace_id), order, page
    )


async def add(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    *,
    user_id: str,
    role: MemberRole | str = MemberRole.MEMBER,
    direct_allowed: bool = False,
) -> Member:
    """Make the user `user_id` a member at once, without asking them: only where the operator
    allows it (`direct_allowed`, see members.settings.direct_membership_allowed). Everyone
    else invites by email (workspaces.invitations) and the person accepts."""
    role = _as_role(role)
    access = await workspace_access(session, actor, workspace_id, Action.MEMBER_MANAGE)
    if role in PRIVILEGED:
        access.require(Action.MEMBER_GRANT_PRIVILEGED)
    if not direct_allowed:
        raise Forbidden(
            "people join by accepting an invitation: invite their email instead "
            "(adding by user_id is off on this server)",
            code="direct_membership_disabled",
        )
    user = await session.get(User, user_id)
    if user is None:
        raise ValidationFailed("user_id: no user has this user_id", code="unknown_user")
    member = Member(workspace_id=workspace_id, user_id=user.id, role=role, user=user)
    if await _member_of(session, workspace_id, user.id) is not None or not await _try_insert(
        session, member
    ):
        raise Conflict("this user is already a member", code="already_member")
    activity.record(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="member",
        entity_id=member.id,
        action="added",
        details={"user_id": user.id, "role": role.value},
    )
    await session.flush()
    return member


async def change_role(
    session: AsyncSession, actor: Actor, workspace_id: str, ref: str, role: MemberRole | str
) -> Member:
    """Give the member named by `ref` (user id or member id) a new role."""
    role = _as_role(role)
    access = await _locked_access(session, actor, workspace_id)
    member = await _find_member(session, workspace_id, ref)
    stepping_down = member.id == access.member.id and ROLE_RANK[role] <= ROLE_RANK[member.role]
    if stepping_down:
        _require_write(access)
    else:
        access.require(Action.MEMBER_MANAGE)
        if role in PRIVILEGED or member.role is MemberRole.OWNER:
            access.require(Action.MEMBER_GRANT_PRIVILEGED)
    if role is member.role:
        return member
    if member.role is MemberRole.OWNER:
        await ensure_another_owner(session, workspace_id, "the last owner cannot be demoted")
    changes = activity.apply_changes(member, {"role": role})
    activity.record(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="member",
        entity_id=member.id,
        action="role_changed",
        details={"user_id": member.user_id, "changes": changes},
    )
    await session.flush()
    return member


async def remove(session: AsyncSession, actor: Actor, workspace_id: str, ref: str) -> None:
    """Remove the member named by `ref`; removing yourself (leaving) needs no admin rights."""
    access = await _locked_access(session, actor, workspace_id)
    member = await _find_member(session, workspace_id, ref)
    leaving = member.id == access.member.id
    if leaving:
        _require_write(access)
    else:
        access.require(Action.MEMBER_MANAGE)
        if member.role is MemberRole.OWNER:
            access.require(Action.MEMBER_GRANT_PRIVILEGED)
    if member.role is MemberRole.OWNER:
        problem = "the last owner cannot " + ("leave" if leaving else "be removed")
        await ensure_another_owner(session, workspace_id, problem)
    await session.delete(member)
    activity.record(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="member",
        entity_id=member.id,
        action="left" if leaving else "removed",
        details={"user_id": member.user_id, "role": member.role.value},
    )
    await session.flush()


async def _locked_access(session: AsyncSession, actor: Actor, workspace_id: str) -> Access:
    """Membership with the workspace row locked (PostgreSQL; SQLite writers are serialised).

    The caller's own role is read again after the lock: a concurrent change that we waited for
    may have demoted or removed them, and the first read saw the row as it was before.
    """
    access = await workspace_access(session, actor, workspace_id, Action.MEMBER_LIST, lock=True)
    fresh = await session.scalar(
        select(Member)
        .where(Member.id == access.member.id)
        .execution_options(populate_existing=True)
    )
    if fresh is None:
        raise NotFound(WORKSPACE_NOT_FOUND)
    return access


def _as_role(value: MemberRole | str) -> MemberRole:
    """Callers other than the API (CLI, scripts) may pass plain strings."""
    try:
        return MemberRole(str(value).strip().lower())
    except ValueError:
        raise ValidationFailed("role: one of owner, admin, member", code="invalid_role") from None


def _require_write(access: Access) -> None:
    """Leaving or stepping down: any role may, but not every credential (read-only keys,
    agents' keys: 403 with the credential's code)."""
    require_credential(access.actor, Action.MEMBER_MANAGE)


async def ensure_another_owner(session: AsyncSession, workspace_id: str, problem: str) -> None:
    """409 `last_owner` (`problem`) unless the workspace has another owner. Callers hold the
    workspace's row lock, so that two changes never both count the other's owner."""
    owners = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.workspace_id == workspace_id, Member.role == MemberRole.OWNER)
    )
    if (owners or 0) <= 1:
        raise Conflict(f"{problem}; make someone else an owner first", code="last_owner")


def _with_user() -> Select[Member]:
    """Members with their user, in one join."""
    return select(Member).join(Member.user).options(contains_eager(Member.user))


async def _find_member(session: AsyncSession, workspace_id: str, ref: str) -> Member:
    member = await session.scalar(
        _with_user().where(
            Member.workspace_id == workspace_id, or_(Member.user_id == ref, Member.id == ref)
        )
    )
    if member is None:
        raise NotFound("member not found")
    return member


async def _member_of(session: AsyncSession, workspace_id: str, user_id: str) -> str | None:
    return await session.scalar(
        select(Member.id).where(Member.workspace_id == workspace_id, Member.user_id == user_id)
    )


async def _try_insert(session: AsyncSession, member: Member) -> bool:
    """Insert in a savepoint; False if the (workspace, user) unique index refused it."""
    try:
        async with session.begin_nested():
            session.add(member)
            await session.flush()
    except IntegrityError:
        return False
    return True
