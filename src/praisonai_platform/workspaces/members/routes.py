"""Routes of /api/v1/workspaces/{workspace_id}/… for members."""

from __future__ import annotations

from fastapi import Response

from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.db.models import Member
from praisonai_platform.workspaces.members import service as members
from praisonai_platform.workspaces.members.schemas import MemberAdd, MemberResponse, MemberUpdate

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["members"])


def _member_response(member: Member) -> MemberResponse:
    """From a member whose user was loaded with it."""
    return MemberResponse(
        id=member.id,
        workspace_id=member.workspace_id,
        user_id=member.user_id,
        role=member.role,
        created_at=member.created_at,
        updated_at=member.updated_at,
        name=member.user.name,
        email=member.user.email,
    )


@router.post("/members", status_code=201, response_model=MemberResponse)
async def add_member(
    workspace_id: str, body: MemberAdd, actor: CurrentActor, session: DbSession
) -> MemberResponse:
    """Add a user by `user_id` or `email` (admins; granting admin or owner: owners)."""
    member = await members.add(
        session, actor, workspace_id, user_id=body.user_id, email=body.email, role=body.role
    )
    return _member_response(member)


@router.get("/members", response_model=list[MemberResponse])
async def list_members(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
) -> list[MemberResponse]:
    """The workspace's members with their names and emails, in the order they joined."""
    page = await members.list_members(session, actor, workspace_id, listing.page)
    return [_member_response(m) for m in listing.items(page)]


@router.patch("/members/{user_id}", response_model=MemberResponse)
async def update_member_role(
    workspace_id: str, user_id: str, body: MemberUpdate, actor: CurrentActor, session: DbSession
) -> MemberResponse:
    """Change a member's role; `user_id` may also be the member's id. The last owner stays."""
    member = await members.change_role(session, actor, workspace_id, user_id, body.role)
    return _member_response(member)


@router.delete("/members/{user_id}", status_code=204)
async def remove_member(
    workspace_id: str, user_id: str, actor: CurrentActor, session: DbSession
) -> Response:
    """Remove a member (admins), or leave yourself; the last owner cannot go."""
    await members.remove(session, actor, workspace_id, user_id)
    return Response(status_code=204)
