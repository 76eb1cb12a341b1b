"""Shared by the run tests: a workspace with an agent and an issue, and quick database reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from praisonai_platform.db import session_scope
from praisonai_platform.db.models import ActivityLog, Event, EventType, Run
from tests.factories import Person

API = "/api/v1"


@dataclass
class World:
    owner: Person
    admin: Person
    member: Person
    outsider: Person
    workspace_id: str
    agent_id: str
    issue_id: str
    issue_key: str

    def url(self, suffix: str = "") -> str:
        return f"{API}/workspaces/{self.workspace_id}{suffix}"

    def people(self) -> dict[str, Person]:
        return {
            "owner": self.owner,
            "admin": self.admin,
            "member": self.member,
            "outsider": self.outsider,
        }


async def build_world(
    client: httpx.AsyncClient, make_user, make_workspace, add_member, **agent_fields: Any
) -> World:  # type: ignore[no-untyped-def]
    owner, admin, member, outsider = [
        await make_user(role) for role in ("owner", "admin", "member", "outsider")
    ]
    workspace = await make_workspace(owner, issue_prefix="ENG")
    ws = workspace["id"]
    await add_member(ws, admin, "admin")
    await add_member(ws, member, "member")
    agent = await client.post(
        f"{API}/workspaces/{ws}/agents/",
        json={"name": "Coder", **agent_fields},
        headers=owner.headers,
    )
    assert agent.status_code == 201, agent.text
    issue = await client.post(
        f"{API}/workspaces/{ws}/issues/", json={"title": "Fix it"}, headers=owner.headers
    )
    assert issue.status_code == 201, issue.text
    return World(
        owner=owner,
        admin=admin,
        member=member,
        outsider=outsider,
        workspace_id=ws,
        agent_id=agent.json()["id"],
        issue_id=issue.json()["id"],
        issue_key=issue.json()["identifier"],
    )


async def create_run(client: httpx.AsyncClient, world: World, person: Person | None = None,
                     **body: Any) -> dict[str, Any]:  # fmt: skip
    response = await client.post(
        world.url("/runs"),
        json={"agent_id": world.agent_id, **body},
        headers=(person or world.owner).headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def register_worker(
    client: httpx.AsyncClient, person: Person, worker_id: str | None = None
) -> str:
    body = {"id": worker_id} if worker_id else {}
    response = await client.post(f"{API}/workers/register", json=body, headers=person.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def run_events(run_id: str) -> list[EventType]:
    """The run's event types, oldest first."""
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(
            select(Event.event_type).where(Event.run_id == run_id).order_by(Event.created_at)
        )
        return list(rows)


async def run_activity(run_id: str) -> list[ActivityLog]:
    async with session_scope(read_only=True) as session:
        rows = await session.scalars(
            select(ActivityLog)
            .where(ActivityLog.entity_type == "run", ActivityLog.entity_id == run_id)
            .order_by(ActivityLog.created_at)
        )
        return list(rows)


async def count_runs() -> int:
    async with session_scope(read_only=True) as session:
        return int(await session.scalar(select(func.count()).select_from(Run)) or 0)
