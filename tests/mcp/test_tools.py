"""The tools in this process, with the SDK's own client: every tool, then the details."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from sqlalchemy import select, update

from praisonai_platform.accounts.settings import AccountSettings
from praisonai_platform.core.clock import utcnow
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Run, User
from tests.factories import create_issue, key_headers
from tests.mcp.conftest import Team, answer, error, error_code, in_memory, resource_json
from tests.mcp.scenario import every_tool
from tests.runs.helpers import API


async def test_every_tool_does_its_work(team: Team) -> None:
    async with in_memory(team.owner_key) as owner, in_memory(team.agent_key) as agent:
        await every_tool(owner, agent, team)


async def test_every_tool_has_a_description_and_a_typed_schema(team: Team) -> None:
    async with in_memory(team.owner_key) as owner:
        listed = await owner.list_tools()
        templates = await owner.list_resource_templates()
    assert {tool.name for tool in listed.tools} == {
        "list_workspaces",
        "search",
        "list_issues",
        "get_issue",
        "list_ready_work",
        "create_issue",
        "update_issue",
        "add_comment",
        "list_agents",
        "delegate_issue",
        "get_run",
        "claim_run",
        "report_progress",
        "post_run_event",
        "complete_run",
        "fail_run",
        "list_my_runs",
    }
    for tool in listed.tools:
        assert tool.description and len(tool.description) > 30, tool.name
        properties = tool.input_schema["properties"]
        assert "ctx" not in properties, tool.name
        for name, schema in properties.items():
            assert "type" in schema or "anyOf" in schema or "$ref" in schema or "allOf" in schema, (
                tool.name,
                name,
            )
        assert tool.annotations is not None and tool.annotations.read_only_hint is not None
    schema = {t.name: t.input_schema for t in listed.tools}["create_issue"]
    assert schema["required"] == ["title"]
    assert {t.uri_template for t in templates.resource_templates} == {
        "issue://{key}",
        "issue://{workspace}/{key}",
    }


async def test_ready_work_is_open_unblocked_and_mine_or_nobodys(
    client: httpx.AsyncClient, team: Team
) -> None:
    world = team.world
    owner = world.owner

    async def issue(title: str, **fields: Any) -> str:
        created = await create_issue(client, owner, world.workspace_id, title=title, **fields)
        return str(created["identifier"])

    mine = await issue("Mine", assignee_id=owner.id, priority="urgent")
    theirs = await issue("Theirs", assignee_id=world.member.id)
    agents = await issue("The agent's", assignee_type="agent", assignee_id=world.agent_id)
    finished = await issue("Done already", status="done")
    stuck = await issue("Blocked by status", status="blocked")
    waiting = await issue("Waits for the blocker")
    blocker = await issue("Blocker")
    freed = await issue("Was blocked by a finished issue")
    finished_blocker = await issue("Finished blocker", status="done")
    for dependent, depends_on, kind in (
        (waiting, blocker, "blocked_by"),
        (blocker, freed, "related"),
        (finished_blocker, freed, "blocks"),
    ):
        response = await client.post(
            f"{API}/workspaces/{world.workspace_id}/issues/{dependent}/dependencies/",
            json={"depends_on_issue_id": depends_on, "type": kind},
            headers=owner.headers,
        )
        assert response.status_code == 201, response.text
    async with in_memory(team.owner_key) as person, in_memory(team.agent_key) as agent:
        for_person = answer(
            await person.call_tool("list_ready_work", {"workspace": "ENG", "limit": 100})
        )
        for_agent = answer(await agent.call_tool("list_ready_work", {}))
        first = answer(await person.call_tool("list_ready_work", {"workspace": "ENG", "limit": 2}))
        rest = answer(
            await person.call_tool(
                "list_ready_work", {"workspace": "ENG", "cursor": first["next_cursor"]}
            )
        )
    unassigned = {world.issue_key, blocker, freed}
    assert {i["identifier"] for i in for_person["issues"]} == {mine} | unassigned
    assert for_person["issues"][0]["identifier"] == mine  # urgent first
    assert {i["identifier"] for i in for_agent["issues"]} == {agents} | unassigned
    assert [i["identifier"] for i in first["issues"] + rest["issues"]] == [
        i["identifier"] for i in for_person["issues"]
    ]
    assert not {theirs, finished, stuck, waiting} & {i["identifier"] for i in for_agent["issues"]}


async def test_update_clears_and_refuses_stale_versions(team: Team) -> None:
    key = team.world.issue_key
    async with in_memory(team.owner_key) as owner:
        assigned = answer(
            await owner.call_tool("update_issue", {"issue": key, "assignee": "me",
                                                   "description": "Steps to reproduce"})
        )  # fmt: skip
        assert assigned["assignee_id"] == team.world.owner.id
        cleared = answer(
            await owner.call_tool("update_issue", {"issue": key,
                                                   "clear": ["assignee", "description"]})
        )  # fmt: skip
        assert cleared["assignee_id"] is None and cleared["description"] is None
        stale = await owner.call_tool(
            "update_issue",
            {"issue": key, "title": "Renamed", "expected_version": assigned["version"]},
        )
        both = await owner.call_tool(
            "update_issue", {"issue": key, "assignee": "me", "clear": ["assignee"]}
        )
        unchanged = answer(await owner.call_tool("get_issue", {"issue": key}))
    assert error_code(stale) == "precondition_failed"
    assert error_code(both) == "validation_failed"
    assert unchanged["issue"]["title"] == "Fix it"


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("create_issue", {}, "validation_failed"),
    ("create_issue", {"title": "   "}, "validation_failed"),
    ("create_issue", {"title": "x" * 1000}, "validation_failed"),
    ("create_issue", {"title": "ok", "status": "someday"}, "validation_failed"),
    ("create_issue", {"title": "ok", "priority": ["high"]}, "validation_failed"),
    ("create_issue", {"title": "ok", "assignee": "nobody-we-know"}, "invalid_reference"),
    ("create_issue", {"title": "ok", "parent_issue": "ENG-999"}, "invalid_reference"),
    ("create_issue", {"title": "nul \u0000 inside"}, "validation_failed"),
    ("get_issue", {"issue": "ENG-999"}, "not_found"),
    ("get_issue", {"issue": "\u0000"}, "validation_failed"),
    ("get_issue", {"issue": 42}, "validation_failed"),
    # The agent's key is limited to its workspace.
    ("get_issue", {"issue": "ENG-1", "workspace": "no-such-workspace"}, "key_out_of_scope"),
    ("list_issues", {"cursor": "not-a-cursor"}, "invalid_cursor"),
    ("list_issues", {"limit": 0}, "validation_failed"),
    ("list_issues", {"limit": 10**12}, "validation_failed"),
    ("list_issues", {"sort": "title"}, "validation_failed"),
    ("list_issues", {"text": ""}, "validation_failed"),
    ("search", {"query": ""}, "validation_failed"),
    ("update_issue", {"issue": "ENG-1", "clear": ["title"]}, "validation_failed"),
    ("update_issue", {"issue": "ENG-1", "parent_issue": "ENG-1"}, "parent_cycle"),
    ("add_comment", {"issue": "ENG-1", "content": " \n "}, "validation_failed"),
    ("add_comment", {"issue": "ENG-1", "content": "hi", "reply_to": "nope"}, "invalid_reference"),
    ("delegate_issue", {"issue": "ENG-1"}, "agent_required"),
    ("delegate_issue", {"issue": "ENG-1", "agent_id": "nope"}, "invalid_reference"),
    ("delegate_issue", {"issue": "ENG-1", "parameters": nested(100)}, "validation_failed"),
    ("delegate_issue", {"issue": "ENG-1", "budget": True}, "validation_failed"),
    ("get_run", {"run_id": "nope"}, "not_found"),
    ("claim_run", {"run_id": "nope"}, "not_found"),
    ("claim_run", {"worker_id": "not a worker id!"}, "not_found"),
    ("report_progress", {"run_id": "nope", "percentage": 101}, "validation_failed"),
    ("report_progress", {"run_id": "nope", "worker_id": "bad id"}, "validation_failed"),
    ("post_run_event", {"run_id": "nope", "event_type": "run_completed"}, "invalid_event_type"),
    ("complete_run", {"run_id": "nope", "message": ""}, "validation_failed"),
    ("fail_run", {"run_id": "nope", "reason": ""}, "validation_failed"),
    ("list_my_runs", {"state": ["sleeping"]}, "validation_failed"),
    ("no_such_tool", {}, "not_found"),
]


async def test_bad_input_is_a_tool_error_with_a_code(team: Team) -> None:
    async with in_memory(team.agent_key) as agent:
        for tool, arguments, code in BAD_CALLS:
            result = await agent.call_tool(tool, arguments)
            assert error_code(result) == code, (tool, arguments, error(result))
            assert "Traceback" not in error(result) and "sqlalchemy" not in error(result).lower()
        # And the server still answers.
        assert answer(await agent.call_tool("get_issue", {"issue": "ENG-1"}))["issue"]


async def test_the_workspace_is_found_or_asked_for(team: Team) -> None:
    async with in_memory(team.owner_key) as owner:
        ambiguous = await owner.call_tool("list_issues", {})
        by_key = answer(await owner.call_tool("get_issue", {"issue": team.world.issue_key}))
        by_name = answer(await owner.call_tool("list_issues", {"workspace": "ops"}))
    assert error_code(ambiguous) == "workspace_required"
    assert by_key["issue"]["id"] == team.world.issue_id
    assert by_name["issues"] == []
    async with in_memory(team.owner_key, default_workspace="ENG") as owner:
        found = answer(await owner.call_tool("list_issues", {}))
    assert [i["identifier"] for i in found["issues"]] == [team.world.issue_key]


async def test_resources_answer_like_the_tools(team: Team) -> None:
    async with in_memory(team.outsider_key) as outsider, in_memory(team.member_key) as member:
        detail = resource_json(await member.read_resource(f"issue://{team.world.issue_key}"))
        assert detail["issue"]["id"] == team.world.issue_id
        for uri, code in (
            (f"issue://{team.world.workspace_id}/{team.world.issue_key}", "not_found"),
            ("issue://ENG-1", "no_workspace"),  # the outsider is in no workspace at all
        ):
            with pytest.raises(MCPError, match=f"^{code}: ") as raised:
                await outsider.read_resource(uri)
            assert raised.value.error.code == INVALID_PARAMS


async def test_unverified_accounts_change_nothing_when_restricted(team: Team) -> None:
    restricted = AccountSettings(unverified_accounts="restrict")
    async with in_memory(team.member_key, account_settings=restricted) as member:
        refused = await member.call_tool("create_issue", {"title": "Not yet"})
        read = await member.call_tool("get_issue", {"issue": team.world.issue_key})
    assert error_code(refused) == "email_not_verified"
    assert not read.is_error
    async with session_scope() as session:
        await session.execute(
            update(User).where(User.id == team.world.member.id).values(email_verified_at=utcnow())
        )
    async with in_memory(team.member_key, account_settings=restricted) as member:
        assert answer(await member.call_tool("create_issue", {"title": "Now"}))["title"] == "Now"


async def test_a_revoked_key_stops_at_the_next_call(client: httpx.AsyncClient, team: Team) -> None:
    async with in_memory(team.member_key) as member:
        assert not (await member.call_tool("get_issue", {"issue": "ENG-1"})).is_error
        listed = await client.get(f"{API}/api-keys", headers=key_headers(team.member_key))
        (key,) = listed.json()
        revoked = await client.delete(
            f"{API}/api-keys/{key['id']}", headers=key_headers(team.member_key)
        )
        assert revoked.status_code in (200, 204)
        assert error_code(await member.call_tool("get_issue", {"issue": "ENG-1"})) == (
            "invalid_api_key"
        )


async def test_delegating_and_claiming_with_an_idempotency_key_happen_once(team: Team) -> None:
    world = team.world
    delegate = {"issue": world.issue_key, "agent_id": world.agent_id, "idempotency_key": "d-1"}
    claim = {"idempotency_key": "c-1"}
    async with in_memory(team.owner_key) as owner, in_memory(team.agent_key) as agent:
        first = answer(await owner.call_tool("delegate_issue", delegate))
        again = answer(await owner.call_tool("delegate_issue", delegate))
        assert again == first  # the answer was lost: asking again queues nothing more
        changed = await owner.call_tool("delegate_issue", {**delegate, "parameters": {"n": 2}})
        assert error_code(changed) == "idempotency_key_reused"
        # Another person's key of the same name is theirs alone.
        async with in_memory(team.member_key) as member:
            theirs = answer(
                await member.call_tool("delegate_issue", {**delegate, "idempotency_key": "d-1"})
            )
        assert theirs["id"] != first["id"]

        taken = answer(await agent.call_tool("claim_run", claim))
        retaken = answer(await agent.call_tool("claim_run", claim))
        assert taken["claimed"] and retaken == taken
        assert taken["run"]["id"] == first["id"]  # the oldest
        # The agent runs one run at a time: a new claim finds nothing, and its replay says so.
        nothing = answer(await agent.call_tool("claim_run", {"idempotency_key": "c-2"}))
        assert nothing == {"claimed": False, "worker_id": taken["worker_id"], "run": None}
        assert answer(await agent.call_tool("claim_run", {"idempotency_key": "c-2"})) == nothing
        bad = await agent.call_tool("claim_run", {"idempotency_key": "has spaces"})
        assert error_code(bad) == "validation_failed"

    # A credential of the same person that may not queue there is refused, not answered.
    async with in_memory(team.limited_key) as limited:
        refused = await limited.call_tool("delegate_issue", delegate)
    assert error_code(refused) == "not_found" and first["id"] not in error(refused)
    async with session_scope(read_only=True) as session:
        runs = await session.scalars(select(Run.id).where(Run.issue_id == world.issue_id))
        assert sorted(runs) == sorted([first["id"], theirs["id"]])
