"""client.agents"""

from __future__ import annotations

from typing import Any

from praisonai_platform.agents.schemas import AgentResponse
from praisonai_platform.client.calls import UNSET, Call, Unset, api_path, body, changes
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests


class Agents(Resource[R]):
    @endpoint
    def create(
        self,
        workspace_id: str,
        name: str,
        *,
        description: str | None = None,
        instructions: str | None = None,
        runtime_mode: str | None = None,
        runtime_config: dict[str, Any] | None = None,
        max_concurrent_tasks: int | None = None,
        status: str | None = None,
        avatar_url: str | None = None,
        config: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Call[AgentResponse]:
        """Create an agent; you become its owner."""
        json = body(
            name=name,
            description=description,
            instructions=instructions,
            runtime_mode=runtime_mode,
            runtime_config=runtime_config,
            max_concurrent_tasks=max_concurrent_tasks,
            status=status,
            avatar_url=avatar_url,
            config=config,
        )
        path = api_path("workspaces", workspace_id, "agents", slash=True)
        return requests.create(path, AgentResponse, json, idempotency_key)

    @endpoint
    def get(self, workspace_id: str, agent_id: str) -> Call[AgentResponse]:
        return requests.get(api_path("workspaces", workspace_id, "agents", agent_id), AgentResponse)

    @endpoint
    def update(
        self,
        workspace_id: str,
        agent_id: str,
        *,
        name: str | Unset = UNSET,
        description: str | Unset | None = UNSET,
        instructions: str | Unset | None = UNSET,
        runtime_mode: str | Unset = UNSET,
        runtime_config: dict[str, Any] | Unset = UNSET,
        max_concurrent_tasks: int | Unset = UNSET,
        status: str | Unset = UNSET,
        avatar_url: str | Unset | None = UNSET,
        config: dict[str, Any] | Unset = UNSET,
    ) -> Call[AgentResponse]:
        """Change the fields given (the agent's owner or admins)."""
        json = changes(
            name=name,
            description=description,
            instructions=instructions,
            runtime_mode=runtime_mode,
            runtime_config=runtime_config,
            max_concurrent_tasks=max_concurrent_tasks,
            status=status,
            avatar_url=avatar_url,
            config=config,
        )
        path = api_path("workspaces", workspace_id, "agents", agent_id)
        return requests.update(path, AgentResponse, json)

    @endpoint
    def delete(self, workspace_id: str, agent_id: str) -> Call[None]:
        return requests.delete(api_path("workspaces", workspace_id, "agents", agent_id))

    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[AgentResponse]]:
        path = api_path("workspaces", workspace_id, "agents", slash=True)
        return requests.listing(
            path, AgentResponse, status=status, limit=limit, offset=offset, cursor=cursor
        )

    iter = iterate(list)
