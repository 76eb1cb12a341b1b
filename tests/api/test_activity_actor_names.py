"""Activity entries name their actor: a user's or an agent's name, none for the system."""

from __future__ import annotations

import httpx

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog, ActorType
from tests.factories import counting_statements

API = "/api/v1/workspaces"


async def test_actor_names_of_users_agents_and_the_system(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user("owner")
    ws = (await make_workspace(owner, issue_prefix="ENG"))["id"]
    agent = await client.post(f"{API}/{ws}/agents/", json={"name": "bot"}, headers=owner.headers)
    agent_id = agent.json()["id"]
    issue = await client.post(f"{API}/{ws}/issues/", json={"title": "t"}, headers=owner.headers)
    async with session_scope() as session:
        for actor_type, actor_id in (
            (ActorType.AGENT, agent_id),
            (ActorType.SYSTEM, None),
            (ActorType.AGENT, "gone-agent"),
            # An agent's id given as a user's: people and agents are told apart.
            (ActorType.USER, agent_id),
        ):
            session.add(
                ActivityLog(
                    workspace_id=ws,
                    entity_type="issue",
                    entity_id=issue.json()["id"],
                    issue_id=issue.json()["id"],
                    action="commented",
                    actor_type=actor_type,
                    actor_id=actor_id,
                )
            )

    for url in (f"{API}/{ws}/activity", f"{API}/{ws}/issues/ENG-1/activity"):
        response = await client.get(url, params={"limit": 200}, headers=owner.headers)
        assert response.status_code == 200, response.text
        named = {(r["actor_type"], r["actor_id"], r["actor_name"]) for r in response.json()}
        assert ("user", owner.id, owner.name) in named
        assert {
            ("agent", agent_id, "bot"),
            ("system", None, None),
            ("agent", "gone-agent", None),
            ("user", agent_id, None),
        } <= named


async def test_actor_names_take_one_query_per_page(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, make_user, make_workspace
) -> None:
    owner = await make_user()
    ws = (await make_workspace(owner))["id"]
    for i in range(20):
        await client.post(f"{API}/{ws}/agents/", json={"name": f"bot{i}"}, headers=owner.headers)
    agents = (await client.get(f"{API}/{ws}/agents/", headers=owner.headers)).json()
    async with session_scope() as session:
        session.add_all(
            ActivityLog(
                workspace_id=ws,
                entity_type="agent",
                entity_id=agent["id"],
                action="ran",
                actor_type=ActorType.AGENT,
                actor_id=agent["id"],
            )
            for agent in agents
        )

    async def list_activity(limit: int) -> int:
        with counting_statements() as statements:
            response = await client.get(
                f"{API}/{ws}/activity", params={"limit": limit}, headers=owner.headers
            )
        assert response.status_code == 200, response.text
        assert all(entry["actor_name"] for entry in response.json())
        return len(statements)

    assert await list_activity(30) == await list_activity(2)
