"""client.api_keys"""

from __future__ import annotations

from praisonai_platform.accounts.api_keys.schemas import ApiKeyCreated, ApiKeyResponse
from praisonai_platform.client.calls import Call, api_path, body
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests


class ApiKeys(Resource[R]):
    @endpoint
    def create(
        self,
        *,
        label: str | None = None,
        scopes: list[str] | None = None,
        workspace_id: str | None = None,
        agent_id: str | None = None,
        expires_in_days: int | None = None,
    ) -> Call[ApiKeyCreated]:
        """Create a key; its secret (`.key`) is in this result only."""
        json = body(
            label=label,
            scopes=scopes,
            workspace_id=workspace_id,
            agent_id=agent_id,
            expires_in_days=expires_in_days,
        )
        return requests.create(api_path("api-keys"), ApiKeyCreated, json)

    @endpoint
    def list(
        self, *, limit: int | None = None, offset: int | None = None, cursor: str | None = None
    ) -> Call[Page[ApiKeyResponse]]:
        return requests.listing(
            api_path("api-keys"), ApiKeyResponse, limit=limit, offset=offset, cursor=cursor
        )

    iter = iterate(list)

    @endpoint
    def revoke(self, key_id: str) -> Call[None]:
        """Revoke a key; it stops working at once."""
        return requests.delete(api_path("api-keys", key_id))
