"""Invitations: the only way into a workspace without the operator's say-so is to accept one.

An admin invites an email with a role (only owners invite admins or owners, as for members). The
answer never says whether the email has an account, nor whose it is. Whoever is signed in with
that email (verified) sees the invitation and accepts or declines it; admins list and revoke a
workspace's invitations. One pending invitation per workspace and email (a partial unique index):
inviting again renews it. Every change of status is one conditional UPDATE from `pending`, so an
accept racing a revoke (or a second accept) has exactly one winner on either backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.accounts import service as users
from praisonai_platform.activity import service as activity
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.clock import database_now
from praisonai_platform.core.enums import InvitationStatus
from praisonai_platform.core.errors import Conflict, Forbidden, NotFound
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import Invitation, Member, MemberRole, User, Workspace
from praisonai_platform.workspaces.members.settings import MembershipSettings
from praisonai_platform.workspaces.permissions import Action, workspace_access

PRIVILEGED = frozenset({MemberRole.ADMIN, MemberRole.OWNER})
PENDING = InvitationStatus.PENDING


@dataclass(frozen=True, slots=True)
class ReceivedInvitation:
    """An invitation as its invitee sees it."""

    invitation: Invitation
    workspace_name: str
    invited_by_name: str | None


async def invite(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    email: str,
    role: MemberRole,
    settings: MembershipSettings,
) -> Invitation:
    """Invite `email` (admins; owners for admin or owner). Inviting an email that is pending
    already renews that invitation (role, inviter, expiry) instead of adding another."""
    access = await workspace_access(session, actor, workspace_id, Action.MEMBER_MANAGE)
    if role in PRIVILEGED:
        access.require(Action.MEMBER_GRANT_PRIVILEGED)
    email = users.normalise_email(email)
    # Admins see members' emails in the member list: refusing a member's email reveals nothing.
    already = await session.scalar(
        select(Member.id)
        .join(User, User.id == Member.user_id)
        .where(Member.workspace_id == workspace_id, User.email == email)
    )
    if already is not None:
        raise Conflict("this email belongs to a member already", code="already_member")
    values: dict[str, Any] = {
        "role": role,
        "invited_by_id": actor.user_id,
        "expires_at": database_now(session, settings.invitation_ttl),
    }
    invitation = await _renew(session, workspace_id, email, values)
    action = "renewed"
    if invitation is None:
        invitation = await _insert(session, workspace_id, email, values)
        action = "created"
        if invitation is None:  # a concurrent invite inserted it first: renew that one
            invitation = await _renew(session, workspace_id, email, values)
            action = "renewed"
    if invitation is None:  # pragma: no cover - the row we collided with was answered meanwhile
        raise Conflict("the invitation changed meanwhile; try again", code="concurrent_update")
    activity.record(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="invitation",
        entity_id=invitation.id,
        action=action,
        details={"role": role.value},
    )
    await session.flush()
    return invitation


async def list_for_workspace(
    session: AsyncSession,
    actor: Actor,
    workspace_id: str,
    page: PageRequest,
    *,
    status: InvitationStatus | None = None,
) -> Page[Invitation]:
    """The workspace's invitations, newest first (admins)."""
    await workspace_access(session, actor, workspace_id, Action.MEMBER_MANAGE)
    statement = select(Invitation).where(Invitation.workspace_id == workspace_id)
    if status is not None:
        statement = statement.where(Invitation.status == status)
    order = [
        SortKey("created_at", Invitation.created_at, descending=True, kind=datetime),
        SortKey("id", Invitation.id, descending=True),
    ]
    return await paginate(session, statement, order, page)


async def revoke(
    session: AsyncSession, actor: Actor, workspace_id: str, invitation_id: str
) -> Invitation:
    """Withdraw a pending invitation (admins); it can no longer be accepted."""
    await workspace_access(session, actor, workspace_id, Action.MEMBER_MANAGE)
    invitation = await _answer(
        session,
        InvitationStatus.REVOKED,
        Invitation.id == invitation_id,
        Invitation.workspace_id == workspace_id,
    )
    if invitation is None:
        raise await _why_not(session, invitation_id, Invitation.workspace_id == workspace_id)
    activity.record(
        session,
        actor,
        workspace_id=workspace_id,
        entity_type="invitation",
        entity_id=invitation.id,
        action="revoked",
        details={"role": invitation.role.value},
    )
    await session.flush()
    return invitation


async def list_received(
    session: AsyncSession, actor: Actor, page: PageRequest
) -> Page[ReceivedInvitation]:
    """The pending, unexpired invitations to the caller's email, newest first. None until the
    email is verified: whoever registered an address they do not own sees nothing sent to it."""
    user = _person(actor)
    inviter = select(User.name).where(User.id == Invitation.invited_by_id).scalar_subquery()
    statement = (
        select(Invitation, Workspace.name, inviter)
        .join(Workspace, Workspace.id == Invitation.workspace_id)
        .where(*_open_to(session, user))
    )
    if user.email_verified_at is None:
        statement = statement.where(false())
    if actor.workspace_id is not None:
        statement = statement.where(Invitation.workspace_id == actor.workspace_id)
    order = [
        SortKey("created_at", Invitation.created_at, descending=True, kind=datetime),
        SortKey("id", Invitation.id, descending=True),
    ]
    rows = await paginate(session, statement, order, page, scalars=False)
    return Page(
        items=[ReceivedInvitation(row[0], row[1], row[2]) for row in rows.items],
        total=rows.total,
        next_cursor=rows.next_cursor,
        limit=rows.limit,
        offset=rows.offset,
    )


async def accept(session: AsyncSession, actor: Actor, invitation_id: str) -> Member:
    """Join the workspace with the invitation's role. Already a member (added meanwhile): the
    membership stays as it is and the invitation counts as accepted."""
    user = await _invitee(session, actor, invitation_id)
    invitation = await _answer(
        session, InvitationStatus.ACCEPTED, Invitation.id == invitation_id, *_open_to(session, user)
    )
    if invitation is None:
        raise await _why_not(session, invitation_id, Invitation.email == user.email)
    member = Member(workspace_id=invitation.workspace_id, user_id=user.id, role=invitation.role)
    try:
        async with session.begin_nested():
            session.add(member)
            await session.flush()
    except IntegrityError:
        existing = await session.scalar(
            select(Member).where(
                Member.workspace_id == invitation.workspace_id, Member.user_id == user.id
            )
        )
        if existing is None:  # pragma: no cover - removed between the insert and this read
            raise Conflict(
                "the membership changed meanwhile; try again", code="concurrent_update"
            ) from None
        member = existing
    else:
        activity.record(
            session,
            actor,
            workspace_id=invitation.workspace_id,
            entity_type="member",
            entity_id=member.id,
            action="joined",
            details={
                "user_id": user.id,
                "role": invitation.role.value,
                "invitation_id": invitation.id,
            },
        )
    await session.flush()
    return member


async def decline(session: AsyncSession, actor: Actor, invitation_id: str) -> Invitation:
    """Say no: the invitation ends declined and nothing else changes."""
    user = await _invitee(session, actor, invitation_id)
    invitation = await _answer(
        session, InvitationStatus.DECLINED, Invitation.id == invitation_id, *_open_to(session, user)
    )
    if invitation is None:
        raise await _why_not(session, invitation_id, Invitation.email == user.email)
    await session.flush()
    return invitation


def _person(actor: Actor) -> User:
    """Invitations are answered by people, never by agents acting through their keys."""
    if actor.is_agent:
        raise Forbidden("agents do not answer invitations", code="agent_not_allowed")
    return actor.user


async def _invitee(session: AsyncSession, actor: Actor, invitation_id: str) -> User:
    """The person the invitation is addressed to, allowed to answer it: other people's
    invitations do not exist for the caller (NotFound); a key limited to another workspace, a
    read-only key, or an email not verified yet (whoever registered an address they do not own
    must not join in its owner's place) may not answer."""
    user = _person(actor)
    workspace_id = await session.scalar(
        select(Invitation.workspace_id).where(
            Invitation.id == invitation_id, Invitation.email == user.email
        )
    )
    if workspace_id is None:
        raise NotFound("invitation not found")
    if actor.workspace_id is not None and workspace_id != actor.workspace_id:
        raise Forbidden("this API key is limited to another workspace", code="key_out_of_scope")
    if actor.scopes is not None and "write" not in actor.scopes:
        raise Forbidden("this credential does not allow joining workspaces")
    if user.email_verified_at is None:
        raise Forbidden(
            "verify your email address before answering invitations", code="email_not_verified"
        )
    return user


def _open_to(session: AsyncSession, user: User) -> list[ColumnElement[bool]]:
    return [
        Invitation.email == user.email,
        Invitation.status == PENDING,
        Invitation.expires_at > database_now(session),
    ]


async def _answer(
    session: AsyncSession, status: InvitationStatus, *conditions: ColumnElement[bool]
) -> Invitation | None:
    """Move one pending invitation to `status`, atomically; None when none matched."""
    statement = (
        update(Invitation)
        .where(Invitation.status == PENDING, *conditions)
        .values(status=status, responded_at=database_now(session))
        .returning(Invitation)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return await session.scalar(statement)


async def _why_not(
    session: AsyncSession, invitation_id: str, visible: ColumnElement[bool]
) -> Exception:
    """The error for an invitation that could not be answered. Other people's invitations do
    not exist as far as the caller can tell."""
    row = (
        await session.execute(
            select(Invitation.status, Invitation.expires_at > database_now(session)).where(
                Invitation.id == invitation_id, visible
            )
        )
    ).one_or_none()
    if row is None:
        return NotFound("invitation not found")
    status, current = row
    if status is not PENDING:
        return Conflict(f"the invitation was {status.value}", code="invitation_not_pending")
    if not current:
        return Conflict("the invitation has expired", code="invitation_expired")
    return Conflict("the invitation changed meanwhile; try again", code="concurrent_update")


async def _renew(
    session: AsyncSession, workspace_id: str, email: str, values: dict[str, Any]
) -> Invitation | None:
    statement = (
        update(Invitation)
        .where(
            Invitation.workspace_id == workspace_id,
            Invitation.email == email,
            Invitation.status == PENDING,
        )
        .values(**values)
        .returning(Invitation)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return await session.scalar(statement)


async def _insert(
    session: AsyncSession, workspace_id: str, email: str, values: dict[str, Any]
) -> Invitation | None:
    """Insert in a savepoint; None if the pending-invitation index refused it (a concurrent
    invite of the same email won)."""
    try:
        async with session.begin_nested():
            invitation = Invitation(workspace_id=workspace_id, email=email, **values)
            session.add(invitation)
            await session.flush()
    except IntegrityError:
        return None
    await session.refresh(invitation)
    return invitation
