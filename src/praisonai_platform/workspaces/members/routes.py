"""Routes of /api/v1/workspaces/{workspace_id}/… for members."""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import JSONResponse

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.db.models import Member, User
from praisonai_platform.workspaces.invitations import service as invitations
from praisonai_platform.workspaces.invitations.schemas import InvitationSent
from praisonai_platform.workspaces.members import service as members
from praisonai_platform.workspaces.members.deps import DirectMembership, MembershipConfig
from praisonai_platform.workspaces.members.schemas import MemberAdd, MemberResponse, MemberUpdate

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["members"])


def member_response(member: Member, user: User | None = None) -> MemberResponse:
    """From a member whose user was loaded with it (or is `user`)."""
    user = user or member.user
    return MemberResponse(
        id=member.id,
        workspace_id=member.workspace_id,
        user_id=member.user_id,
        role=member.role,
        created_at=member.created_at,
        updated_at=member.updated_at,
        name=user.name,
        email=user.email,
    )


@router.post(
    "/members",
    status_code=201,
    response_model=MemberResponse,
    responses={
        202: {
            "model": InvitationSent,
            "description": "Invited by email: the person joins when they accept. The answer is "
            "the same whether or not the email has an account.",
        }
    },
)
async def add_member(
    workspace_id: str,
    body: MemberAdd,
    actor: CurrentActor,
    session: DbSession,
    settings: MembershipConfig,
    direct: DirectMembership,
) -> Response | MemberResponse:
    """Invite a person by `email` (202, an invitation they accept), or, where the server allows
    it (PLATFORM_DIRECT_MEMBERSHIP), add a user by `user_id` at once (201). Admins; owners to
    grant admin or owner."""
    if body.email is not None:
        invitation = await invitations.invite(
            session, actor, workspace_id, body.email, body.role, settings
        )
        sent = InvitationSent.model_validate(invitation).model_dump(mode="json")
        return JSONResponse(sent, status_code=202)
    assert body.user_id is not None
    member = await members.add(
        session, actor, workspace_id, user_id=body.user_id, role=body.role, direct_allowed=direct
    )
    return member_response(member)


@router.get("/members", response_model=list[MemberResponse])
async def list_members(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
) -> list[MemberResponse]:
    """The workspace's members with their names and emails, in the order they joined."""
    page = await members.list_members(session, actor, workspace_id, listing.page)
    return [member_response(m) for m in listing.items(page)]


@router.patch("/members/{user_id}", response_model=MemberResponse)
async def update_member_role(
    workspace_id: str, user_id: str, body: MemberUpdate, actor: CurrentActor, session: DbSession
) -> MemberResponse:
    """Change a member's role; `user_id` may also be the member's id. The last owner stays."""
    member = await members.change_role(session, actor, workspace_id, user_id, body.role)
    return member_response(member)


@router.delete("/members/{user_id}", status_code=204)
async def remove_member(
    workspace_id: str, user_id: str, actor: CurrentActor, session: DbSession
) -> Response:
    """Remove a member (admins), or leave yourself; the last owner cannot go."""
    await members.remove(session, actor, workspace_id, user_id)
    return Response(status_code=204)
