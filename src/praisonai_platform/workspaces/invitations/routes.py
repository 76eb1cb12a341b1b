"""Routes of invitations: admins invite, list and revoke under /workspaces/{workspace_id};
the invitee lists, accepts and declines under /invitations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.workspaces.invitations import service as invitations
from praisonai_platform.workspaces.invitations.schemas import (
    InvitationCreate,
    InvitationResponse,
    InvitationSent,
    MyInvitationResponse,
    Status,
)
from praisonai_platform.workspaces.members.deps import MembershipConfig
from praisonai_platform.workspaces.members.routes import member_response
from praisonai_platform.workspaces.members.schemas import MemberResponse

router = APIRouter(tags=["invitations"])


@router.post(
    "/workspaces/{workspace_id}/invitations", status_code=202, response_model=InvitationSent
)
async def invite(
    workspace_id: str,
    body: InvitationCreate,
    actor: CurrentActor,
    session: DbSession,
    settings: MembershipConfig,
) -> InvitationSent:
    """Invite an email to join (admins; owners to invite admins or owners). The answer is the
    same whether or not the email has an account; inviting a pending email again renews it."""
    invitation = await invitations.invite(
        session, actor, workspace_id, body.email, body.role, settings
    )
    return InvitationSent.model_validate(invitation)


@router.get("/workspaces/{workspace_id}/invitations", response_model=list[InvitationResponse])
async def list_workspace_invitations(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    status: Annotated[Status | None, Query(description="Only invitations in this state.")] = None,
) -> list[InvitationResponse]:
    """The workspace's invitations, newest first (admins)."""
    page = await invitations.list_for_workspace(
        session, actor, workspace_id, listing.page, status=status
    )
    return [InvitationResponse.model_validate(i) for i in listing.items(page)]


@router.post(
    "/workspaces/{workspace_id}/invitations/{invitation_id}/revoke",
    response_model=InvitationResponse,
)
async def revoke_invitation(
    workspace_id: str, invitation_id: str, actor: CurrentActor, session: DbSession
) -> InvitationResponse:
    """Withdraw a pending invitation (admins); 409 `invitation_not_pending` once answered."""
    invitation = await invitations.revoke(session, actor, workspace_id, invitation_id)
    return InvitationResponse.model_validate(invitation)


@router.get("/invitations", response_model=list[MyInvitationResponse])
async def list_my_invitations(
    actor: CurrentActor, session: DbSession, listing: ListPaging
) -> list[MyInvitationResponse]:
    """Invitations waiting for your answer (to your verified email), newest first."""
    page = await invitations.list_received(session, actor, listing.page)
    return [
        MyInvitationResponse.model_validate(
            {
                **InvitationResponse.model_validate(r.invitation).model_dump(),
                "workspace_name": r.workspace_name,
                "invited_by_name": r.invited_by_name,
            }
        )
        for r in listing.items(page)
    ]


@router.post("/invitations/{invitation_id}/accept", response_model=MemberResponse)
async def accept_invitation(
    invitation_id: str, actor: CurrentActor, session: DbSession
) -> MemberResponse:
    """Join the workspace with the invitation's role: your membership. 404 for an invitation
    to someone else; 409 `invitation_not_pending` or `invitation_expired`."""
    member = await invitations.accept(session, actor, invitation_id)
    return member_response(member, actor.user)


@router.post("/invitations/{invitation_id}/decline", response_model=InvitationResponse)
async def decline_invitation(
    invitation_id: str, actor: CurrentActor, session: DbSession
) -> InvitationResponse:
    """Say no; nothing else changes."""
    invitation = await invitations.decline(session, actor, invitation_id)
    return InvitationResponse.model_validate(invitation)
