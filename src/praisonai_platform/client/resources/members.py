"""client.members"""

from __future__ import annotations

import httpx

from praisonai_platform.client.calls import Call, api_path, body, changes
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.core.enums import MemberRole
from praisonai_platform.workspaces.invitations.schemas import InvitationSent
from praisonai_platform.workspaces.members.schemas import MemberResponse


class Members(Resource[R]):
    @endpoint
    def add(
        self,
        workspace_id: str,
        *,
        user_id: str | None = None,
        email: str | None = None,
        role: MemberRole | str = MemberRole.MEMBER,
    ) -> Call[MemberResponse | InvitationSent]:
        """Invite a person by `email` (an InvitationSent: they join when they accept), or add
        a user by `user_id` at once where the server allows direct membership (a Member).
        Admins; owners to grant admin or owner."""
        json = body(user_id=user_id, email=email, role=role)
        path = api_path("workspaces", workspace_id, "members")
        return Call("POST", path, _read_added, json=json)

    @endpoint
    def update(
        self, workspace_id: str, user_id: str, *, role: MemberRole | str
    ) -> Call[MemberResponse]:
        """Change a member's role."""
        path = api_path("workspaces", workspace_id, "members", user_id)
        return requests.update(path, MemberResponse, changes(role=role))

    @endpoint
    def remove(self, workspace_id: str, user_id: str) -> Call[None]:
        """Remove a member (admins), or leave the workspace yourself."""
        return requests.delete(api_path("workspaces", workspace_id, "members", user_id))

    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[MemberResponse]]:
        path = api_path("workspaces", workspace_id, "members")
        return requests.listing(path, MemberResponse, limit=limit, offset=offset, cursor=cursor)

    iter = iterate(list)
    create = add
    delete = remove


def _read_added(response: httpx.Response) -> MemberResponse | InvitationSent:
    if response.status_code == 202:
        return InvitationSent.model_validate_json(response.content)
    return MemberResponse.model_validate_json(response.content)
