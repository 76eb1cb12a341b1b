"""The published praisonai-platform 0.1.9 client, installed from the package registry into a
throwaway environment, works its documented flows against our server in 0.1.9's dialect.

The environment is made once per test session (a venv without pip, filled by this interpreter's
pip: ~10 s). Without the registry the test is skipped with the reason, except under CI=true,
where that is a failure. Nothing of 0.1.9 is kept in the project: the script below is ours and
only calls the client's public methods.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live.conftest import LiveServer, start_server, stop_server

PUBLISHED = "praisonai-platform==0.1.9"

# Drives PlatformClient 0.1.9 through the flows its documentation shows (register, workspaces,
# issues, agents) and the rest of its methods, and prints what it saw as JSON.
DRIVER = textwrap.dedent(
    """
    import asyncio, json, sys, uuid

    import httpx
    from praisonai_platform.client import PlatformClient

    PASSWORD = "pass123"  # short and common, as 0.1.9's own tests register


    async def refused(call):
        try:
            await call
        except httpx.HTTPStatusError as error:
            return error.response.status_code
        return None


    async def main(base_url):
        seen = {}
        tag = uuid.uuid4().hex[:8]
        async with PlatformClient(base_url) as client:
            registered = await client.register(f"agent-{tag}@example.com", PASSWORD, "Agent")
            seen["registered_email"] = registered["user"]["email"]
            seen["me"] = (await client.get_me())["email"]
            await client.login(f"agent-{tag}@example.com", PASSWORD)

            workspace = await client.create_workspace("Team", description="ours")
            ws = workspace["id"]
            seen["workspaces"] = [w["id"] for w in await client.list_workspaces()] == [ws]
            project = await client.create_project(ws, "Launch", description="first")
            issue = await client.create_issue(
                ws, "Fix bug", description="The thing is broken", project_id=project["id"]
            )
            second = await client.create_issue(ws, "Another", priority="high")
            seen["identifiers"] = [issue["identifier"], second["identifier"]]
            updated = await client.update_issue(ws, issue["id"], status="in_progress")
            seen["updated_status"] = updated["status"]
            seen["got_status"] = (await client.get_issue(ws, issue["id"]))["status"]
            in_progress = await client.list_issues(ws, status="in_progress")
            seen["filtered"] = [i["id"] for i in in_progress] == [issue["id"]]
            review = await client.update_issue(ws, second["id"], status="in_review")
            seen["review_status"] = review["status"]
            stats = await client.get_project_stats(ws, project["id"])
            seen["by_status_in_progress"] = stats["by_status"].get("in_progress")

            comment = await client.add_comment(ws, issue["id"], "On it")
            reply = await client.add_comment(ws, issue["id"], "Done", parent_id=comment["id"])
            seen["comments"] = len(await client.list_comments(ws, issue["id"]))
            seen["reply_parent"] = reply["parent_id"] == comment["id"]

            agent = await client.create_agent(ws, "Bot", instructions="Help")
            seen["agent_default"] = agent["status"]
            round_trips = {}
            for status in ("idle", "working", "blocked", "error", "offline"):
                changed = await client.update_agent(ws, agent["id"], status=status)
                fetched = await client.get_agent(ws, agent["id"])
                round_trips[status] = [changed["status"], fetched["status"]]
            seen["agent_round_trips"] = round_trips
            await client.update_agent(ws, agent["id"], status="working")
            seen["working_agents"] = len(await client.list_agents(ws, status="working"))

            label = await client.create_label(ws, "bug", color="#FF0000")
            await client.add_label_to_issue(ws, issue["id"], label["id"])
            labels = await client.list_issue_labels(ws, issue["id"])
            seen["issue_labels"] = [label["name"] for label in labels]
            dependency = await client.create_dependency(ws, issue["id"], second["id"])
            seen["dependencies"] = len(await client.list_dependencies(ws, issue["id"]))
            await client.delete_dependency(ws, issue["id"], dependency["id"])

            activity = await client.list_workspace_activity(ws)
            seen["actions"] = sorted({a["action"] for a in activity if a["entity_type"] == "issue"})
            seen["actor_types"] = sorted({a["actor_type"] for a in activity})
            seen["issue_activity"] = len(await client.list_issue_activity(ws, issue["id"]))
            seen["paged"] = len(await client.list_workspace_activity(ws, limit=1, offset=0))

            async with PlatformClient(base_url) as colleague:
                joined = await colleague.register(f"colleague-{tag}@example.com", PASSWORD)
                member = await client.add_member(ws, joined["user"]["id"])
                seen["member_role"] = member["role"]
                changed = await client.update_member_role(ws, joined["user"]["id"], "admin")
                seen["new_role"] = changed["role"]
                seen["colleague_sees"] = len(await colleague.list_issues(ws))
                await client.remove_member(ws, joined["user"]["id"])
                seen["removed_gets"] = await refused(colleague.get_workspace(ws))

            async with PlatformClient(base_url) as stranger:
                await stranger.register(f"stranger-{tag}@example.com", PASSWORD)
                seen["stranger_gets"] = await refused(stranger.get_workspace(ws))
                seen["stranger_lists"] = await refused(stranger.list_issues(ws))
            seen["unknown_workspace"] = await refused(client.get_workspace(str(uuid.uuid4())))

            await client.delete_issue(ws, second["id"])
            seen["missing_issue"] = await refused(client.get_issue(ws, second["id"]))
            await client.delete_agent(ws, agent["id"])
            await client.delete_project(ws, project["id"])
            await client.delete_workspace(ws)
        print(json.dumps(seen))


    asyncio.run(main(sys.argv[1]))
    """
)


def _install(directory: Path) -> Path:
    """A venv holding the published client; its python."""
    venv.EnvBuilder(with_pip=False).create(directory)
    python = directory / "bin" / "python"
    for arguments in (
        ["httpx"],
        # Only its client is driven; its server's dependencies are not needed.
        ["--no-deps", PUBLISHED],
    ):
        completed = subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
             "--disable-pip-version-check", "--only-binary", ":all:", *arguments],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )  # fmt: skip
        if completed.returncode != 0:
            reason = f"cannot install {' '.join(arguments)}: {completed.stderr[-800:]}"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"CI=true needs the package registry. {reason}")
            pytest.skip(reason)
    return python


@pytest.fixture(scope="session")
def client_019(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of an environment with praisonai-platform 0.1.9 installed."""
    return _install(tmp_path_factory.mktemp("praisonai-platform-0.1.9") / "venv")


@pytest.fixture
def compat_server(db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(
        db_url,
        tmp_path / "server.log",
        environment={"PLATFORM_API_COMPAT": "0.1.9", "PLATFORM_PASSWORD_MIN_LENGTH": "1"},
    )
    yield server
    stop_server(server)


def test_published_019_client_works_against_the_compat_server(
    client_019: Path, compat_server: LiveServer, tmp_path: Path
) -> None:
    script = tmp_path / "drive_019.py"
    script.write_text(DRIVER)
    completed = subprocess.run(
        [str(client_019), str(script), compat_server.base_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr + compat_server.log()[-3000:]
    seen: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    assert seen == {
        "registered_email": seen["me"],
        "me": seen["me"],
        "workspaces": True,
        "identifiers": ["ISS-1", "ISS-2"],
        "updated_status": "in_progress",
        "got_status": "in_progress",
        "filtered": True,
        "review_status": "in_review",
        "by_status_in_progress": 1,
        "comments": 2,
        "reply_parent": True,
        "agent_default": "offline",
        "agent_round_trips": {
            status: [status, status]
            for status in ("idle", "working", "blocked", "error", "offline")
        },
        "working_agents": 1,
        "issue_labels": ["bug"],
        "dependencies": 1,
        "actions": ["issue.created", "issue.label_added", "issue.updated"],
        "actor_types": ["member"],
        "issue_activity": seen["issue_activity"],
        "paged": 1,
        "member_role": "member",
        "new_role": "admin",
        "colleague_sees": 2,
        "removed_gets": 403,
        "stranger_gets": 403,
        "stranger_lists": 403,
        "unknown_workspace": 403,
        "missing_issue": 404,
    }
    assert seen["issue_activity"] >= 2
