"""Routes of /api/v1/workspaces/{workspace_id}/… for agents."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from praisonai_platform.agents import service as agents
from praisonai_platform.agents.schemas import (
    AgentCreate,
    AgentResponse,
    AgentStatusInput,
    AgentUpdate,
)
from praisonai_platform.api.deps import CurrentActor, DbSession
from praisonai_platform.api.routing import APIRouter, ListPaging

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["agents"])


@router.post("/agents/", status_code=201, response_model=AgentResponse)
async def create_agent(
    workspace_id: str, body: AgentCreate, actor: CurrentActor, session: DbSession
) -> AgentResponse:
    """Create an agent (members); you become its owner."""
    agent = await agents.create(session, actor, workspace_id, **body.model_dump())
    return AgentResponse.model_validate(agent)


@router.get("/agents/", response_model=list[AgentResponse])
async def list_agents(
    workspace_id: str,
    actor: CurrentActor,
    session: DbSession,
    listing: ListPaging,
    status: Annotated[
        AgentStatusInput | None, Query(description="Only agents in this status.")
    ] = None,
) -> list[AgentResponse]:
    """The workspace's agents, oldest first."""
    page = await agents.list_for(session, actor, workspace_id, listing.page, status=status)
    return [AgentResponse.model_validate(a) for a in listing.items(page)]


@router.get("/agents/{agent_id}", response_model=AgentResponse)
async def get_agent(
    workspace_id: str, agent_id: str, actor: CurrentActor, session: DbSession
) -> AgentResponse:
    return AgentResponse.model_validate(await agents.get(session, actor, workspace_id, agent_id))


@router.patch("/agents/{agent_id}", response_model=AgentResponse)
async def update_agent(
    workspace_id: str, agent_id: str, body: AgentUpdate, actor: CurrentActor, session: DbSession
) -> AgentResponse:
    """Change an agent (its owner and admins); null fields are left as they are."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    agent = await agents.update(session, actor, workspace_id, agent_id, changes)
    return AgentResponse.model_validate(agent)


@router.delete("/agents/{agent_id}", status_code=204)
async def delete_agent(
    workspace_id: str, agent_id: str, actor: CurrentActor, session: DbSession
) -> Response:
    """Delete an agent (its owner and admins)."""
    await agents.delete(session, actor, workspace_id, agent_id)
    return Response(status_code=204)
