"""client.invitations: inviting people into a workspace, and answering invitations to you."""

from __future__ import annotations

from praisonai_platform.client.calls import Call, api_path, body, read_model
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.core.enums import InvitationStatus, MemberRole
from praisonai_platform.workspaces.invitations.schemas import (
    InvitationResponse,
    InvitationSent,
    MyInvitationResponse,
)
from praisonai_platform.workspaces.members.schemas import MemberResponse


class Invitations(Resource[R]):
    @endpoint
    def create(
        self, workspace_id: str, email: str, *, role: MemberRole | str = MemberRole.MEMBER
    ) -> Call[InvitationSent]:
        """Invite `email` to the workspace (admins; owners to invite admins or owners). The
        person joins when they accept; inviting a pending email again renews the invitation."""
        path = api_path("workspaces", workspace_id, "invitations")
        return requests.create(path, InvitationSent, body(email=email, role=role))

    @endpoint
    def list(
        self,
        *,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[MyInvitationResponse]]:
        """Invitations waiting for your answer, newest first."""
        return requests.listing(
            api_path("invitations"),
            MyInvitationResponse,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    @endpoint
    def accept(self, invitation_id: str) -> Call[MemberResponse]:
        """Join the workspace: your new membership."""
        path = api_path("invitations", invitation_id, "accept")
        return Call("POST", path, read_model(MemberResponse))

    @endpoint
    def decline(self, invitation_id: str) -> Call[InvitationResponse]:
        """Say no to the invitation."""
        path = api_path("invitations", invitation_id, "decline")
        return Call("POST", path, read_model(InvitationResponse))

    @endpoint
    def list_for_workspace(
        self,
        workspace_id: str,
        *,
        status: InvitationStatus | str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[InvitationResponse]]:
        """A workspace's invitations, newest first (admins); `status` pending, accepted,
        declined or revoked."""
        return requests.listing(
            api_path("workspaces", workspace_id, "invitations"),
            InvitationResponse,
            status=status,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    @endpoint
    def revoke(self, workspace_id: str, invitation_id: str) -> Call[InvitationResponse]:
        """Withdraw a pending invitation (admins)."""
        path = api_path("workspaces", workspace_id, "invitations", invitation_id, "revoke")
        return Call("POST", path, read_model(InvitationResponse))

    iter = iterate(list)
    iter_for_workspace = iterate(list_for_workspace)
