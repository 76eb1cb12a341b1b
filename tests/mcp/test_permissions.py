"""A key gets over MCP exactly the answer it gets over REST: the same refusals, with the same
codes, for read-only keys, agents' keys, workspace-limited keys and outsiders; and the same
successes for the keys that may act."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import key_headers
from tests.mcp.conftest import Team, in_memory
from tests.runs.helpers import API


@dataclass(frozen=True)
class Operation:
    """One thing to try, as a REST request and as an MCP tool call."""

    method: str
    path: str
    body: dict[str, Any] | None
    tool: str
    arguments: dict[str, Any]


def operations(team: Team, workspace_id: str) -> dict[str, Operation]:
    """What to try, in `workspace_id` (the team's own, or another one)."""
    key = team.world.issue_key
    base = f"{API}/workspaces/{workspace_id}"
    ws = {"workspace": workspace_id}
    return {
        "read an issue": Operation("GET", f"{base}/issues/{key}", None, "get_issue",
                                   {"issue": key, **ws}),
        "list issues": Operation("GET", f"{base}/issues/?status=backlog", None, "list_issues",
                                 {"status": ["backlog"], **ws}),
        "search": Operation("GET", f"{base}/search?q=fix", None, "search",
                            {"query": "fix", **ws}),
        "create an issue": Operation("POST", f"{base}/issues/", {"title": "New"}, "create_issue",
                                     {"title": "New", **ws}),
        "change an issue": Operation("PATCH", f"{base}/issues/{key}", {"priority": "urgent"},
                                     "update_issue", {"issue": key, "priority": "urgent", **ws}),
        "comment": Operation("POST", f"{base}/issues/{key}/comments", {"content": "Me too"},
                             "add_comment", {"issue": key, "content": "Me too", **ws}),
        "delegate": Operation("POST", f"{base}/issues/{key}/runs",
                              {"agent_id": team.world.agent_id}, "delegate_issue",
                              {"issue": key, "agent_id": team.world.agent_id, **ws}),
    }  # fmt: skip


async def rest(client: httpx.AsyncClient, key: str, operation: Operation) -> tuple[bool, str]:
    response = await client.request(
        operation.method, operation.path, json=operation.body, headers=key_headers(key)
    )
    assert response.status_code < 500, response.text
    if response.status_code < 400:
        return True, ""
    return False, str(response.json()["code"])


async def mcp(connected: Any, operation: Operation) -> tuple[bool, str]:
    result = await connected.call_tool(operation.tool, operation.arguments)
    if not result.is_error:
        return True, ""
    return False, result.content[0].text.split(":", 1)[0]  # type: ignore[union-attr]


KEYS = ("owner_key", "member_key", "read_only_key", "agent_key", "outsider_key", "limited_key")


@pytest.mark.parametrize("where", ["own workspace", "other workspace"])
async def test_every_key_gets_the_same_answer_as_over_rest(
    client: httpx.AsyncClient, team: Team, where: str
) -> None:
    workspace_id = team.world.workspace_id if where == "own workspace" else team.other_workspace_id
    answers: dict[tuple[str, str], tuple[bool, str]] = {}
    for key_name in KEYS:
        key = getattr(team, key_name)
        async with in_memory(key) as connected:
            for name, operation in operations(team, workspace_id).items():
                over_rest = await rest(client, key, operation)
                over_mcp = await mcp(connected, operation)
                assert over_mcp == over_rest, (name, key_name, over_rest, over_mcp)
                answers[(name, key_name)] = over_mcp
    if where == "own workspace":
        # The refusals this compares are real ones.
        assert answers[("create an issue", "read_only_key")] == (False, "forbidden")
        assert answers[("comment", "read_only_key")] == (False, "forbidden")
        assert answers[("read an issue", "read_only_key")] == (True, "")
        assert answers[("delegate", "agent_key")] == (True, "")
        assert answers[("read an issue", "outsider_key")] == (False, "not_found")
        assert answers[("change an issue", "limited_key")] == (False, "key_out_of_scope")
    else:
        # The agent's key and the member's cannot reach the owner's other workspace.
        assert answers[("read an issue", "agent_key")] == (False, "key_out_of_scope")
        assert answers[("create an issue", "member_key")] == (False, "not_found")


async def test_an_agent_key_works_on_its_own_agents_runs_only(
    client: httpx.AsyncClient, team: Team
) -> None:
    world = team.world
    other = await client.post(
        f"{API}/workspaces/{world.workspace_id}/agents/",
        json={"name": "Reviewer"},
        headers=world.owner.headers,
    )
    assert other.status_code == 201, other.text
    queued = await client.post(
        f"{API}/workspaces/{world.workspace_id}/runs",
        json={"agent_id": other.json()["id"]},
        headers=world.owner.headers,
    )
    assert queued.status_code == 201, queued.text
    run_id = queued.json()["id"]
    bot = key_headers(team.agent_key)
    worker = await client.post(f"{API}/workers/register", json={"id": "bot-1"}, headers=bot)
    assert worker.status_code == 201, worker.text

    over_rest = await client.post(f"{API}/runs/{run_id}/claim", json={"worker_id": "bot-1"},
                                  headers=bot)  # fmt: skip
    async with in_memory(team.agent_key) as agent:
        over_mcp = await agent.call_tool("claim_run", {"run_id": run_id, "worker_id": "bot-1"})
        nothing = await agent.call_tool("claim_run", {})
        progress = await agent.call_tool("report_progress", {"run_id": run_id, "percentage": 5})
    assert over_rest.status_code == 409
    assert over_mcp.content[0].text.startswith(over_rest.json()["code"] + ":")  # type: ignore[union-attr]
    # Asked for any run, the agent's key finds none of the other agent's.
    assert nothing.structured_content is not None
    assert nothing.structured_content["claimed"] is False
    report = {"worker_id": "bot-1", "percentage": 5}
    rest_progress = await client.post(f"{API}/runs/{run_id}/progress", json=report, headers=bot)
    assert rest_progress.status_code == 409
    assert progress.content[0].text.startswith(rest_progress.json()["code"] + ":")  # type: ignore[union-attr]
