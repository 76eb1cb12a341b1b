"""Invitations to join a workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from praisonai_platform.core.enums import InvitationStatus, MemberRole
from praisonai_platform.core.schemas import ResponseSchema, Schema, lenient_input

Role = Annotated[MemberRole, lenient_input(MemberRole)]
Status = Annotated[InvitationStatus, lenient_input(InvitationStatus)]


class InvitationCreate(Schema):
    email: str = Field(min_length=1, max_length=320, description="Whom to invite.")
    role: Role = MemberRole.MEMBER


class InvitationSent(ResponseSchema):
    """What inviting answers: the same whether or not the email has an account."""

    id: str
    workspace_id: str
    email: str = Field(description="The invited address, lower-cased.")
    role: MemberRole
    status: InvitationStatus
    expires_at: datetime


class InvitationResponse(InvitationSent):
    """An invitation as the workspace's admins see it."""

    invited_by_id: str | None = None
    created_at: datetime
    responded_at: datetime | None = None


class MyInvitationResponse(InvitationResponse):
    """An invitation as its invitee sees it: which workspace, and who asked."""

    workspace_name: str
    invited_by_name: str | None = None
