"""One piece of work done through every tool: what the stdio, HTTP and in-process tests share.

The team's owner files an issue, works on it, delegates it to the team's agent; the agent (its
own key) claims the run, reports on it and completes it; a second run fails. Every answer is
checked against what the database now holds, as the tools report it.
"""

from __future__ import annotations

from typing import Any

from tests.mcp.conftest import McpClient, Team, answer, error_code, resource_json, tool_names


async def every_tool(owner: McpClient, agent: McpClient, team: Team) -> None:
    """Call every tool the server lists (and read both resources); fail if one is left out."""
    world = team.world
    called: set[str] = set()

    async def call(client: McpClient, name: str, **arguments: Any) -> Any:
        called.add(name)
        return answer(await client.call_tool(name, arguments))

    listed = await call(owner, "list_workspaces")
    assert {w["id"] for w in listed["workspaces"]} == {world.workspace_id, team.other_workspace_id}

    created = await call(
        owner,
        "create_issue",
        workspace="ENG",  # by issue prefix: the owner has two workspaces
        title="Write the MCP guide",
        description="Config snippets for every client",
        priority="high",
        assignee="me",
    )
    key = created["identifier"]
    assert key.startswith("ENG-") and created["assignee_id"] == world.owner.id
    assert created["status"] == "backlog" and created["priority"] == "high"

    ready = await call(owner, "list_ready_work", workspace=world.workspace_id)
    assert {i["identifier"] for i in ready["issues"]} == {key, world.issue_key}
    assert ready["issues"][0]["identifier"] == key  # high before medium

    updated = await call(
        owner,
        "update_issue",
        issue=key,  # its prefix names the workspace
        status="in_progress",
        expected_version=created["version"],
    )
    assert updated["status"] == "in-progress" and updated["version"] == created["version"] + 1

    comment = await call(owner, "add_comment", issue=key, content="Started on the guide")
    assert comment["author_id"] == world.owner.id

    found = await call(owner, "list_issues", workspace="eng", status=["in-progress"], assignee="me")
    assert [i["identifier"] for i in found["issues"]] == [key]

    hits = await call(owner, "search", workspace="ENG", query="MCP guide")
    assert [r["issue_key"] for r in hits["results"] if r["type"] == "issue"] == [key]

    agents = await call(owner, "list_agents", workspace="ENG")
    assert [a["id"] for a in agents["agents"]] == [world.agent_id]

    run = await call(owner, "delegate_issue", issue=key, agent_id=world.agent_id)
    assert run["state"] == "pending" and run["issue_id"] == created["id"]

    mine = await call(agent, "list_my_runs")  # the agent's key is limited to its workspace
    assert [r["id"] for r in mine["runs"]] == [run["id"]]
    elsewhere = await agent.call_tool("list_issues", {"workspace": team.other_workspace_id})
    assert error_code(elsewhere) == "key_out_of_scope"

    claimed = await call(agent, "claim_run")
    assert claimed["claimed"] and claimed["run"]["id"] == run["id"]
    assert claimed["run"]["state"] == "processing"

    progress = await call(
        agent, "report_progress", run_id=run["id"], percentage=50, message="Half written"
    )
    assert progress["progress_percentage"] == 50 and progress["stop_requested"] is False

    posted = await call(
        agent, "post_run_event", run_id=run["id"], message="Checked links", context={"links": 12}
    )
    assert posted == {"run_id": run["id"], "posted": True}

    done = await call(agent, "complete_run", run_id=run["id"], message="The guide is written")
    assert done["state"] == "completed"

    assert (await call(owner, "get_run", run_id=run["id"]))["state"] == "completed"

    detail = await call(owner, "get_issue", issue=key)
    assert detail["issue"]["status"] == "in-progress"
    assert [c["content"] for c in detail["comments"]] == [
        "Started on the guide",
        "The guide is written",  # the agent's comment, from completing the run
    ]
    assert detail["comments"][1]["author_id"] == world.agent_id
    assert [r["state"] for r in detail["runs"]] == ["completed"]
    assert {"created", "updated"} <= {a["action"] for a in detail["activity"]}

    second = await call(owner, "delegate_issue", issue=key, agent_id=world.agent_id)
    taken = await call(agent, "claim_run", run_id=second["id"])
    assert taken["run"]["id"] == second["id"]
    failed = await call(agent, "fail_run", run_id=second["id"], reason="tests_failed", retry=False)
    assert failed["state"] == "failed" and failed["failure_reason"] == "tests_failed"

    assert called == tool_names(await owner.list_tools())

    by_key = resource_json(await owner.read_resource(f"issue://{key}"))
    assert by_key["issue"]["id"] == created["id"] and len(by_key["runs"]) == 2
    in_workspace = resource_json(
        await agent.read_resource(f"issue://{world.workspace_id}/{world.issue_key}")
    )
    assert in_workspace["issue"]["title"] == "Fix it"
