"""`praisonai-platform mcp` as its own process, on the test's SQLite file or PostgreSQL
database, driven over stdio by the SDK's client."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.mcp.conftest import ROOT, Team, over_stdio
from tests.mcp.scenario import every_tool


async def test_every_tool_over_stdio(db_url: str, team: Team) -> None:
    async with (
        over_stdio(db_url, team.owner_key) as owner,
        over_stdio(db_url, team.agent_key) as agent,
    ):
        # The agent's key acts as the agent: its comments and runs are the agent's (see
        # every_tool), and it reaches its workspace only.
        await every_tool(owner, agent, team)


@pytest.mark.sqlite_only
def test_a_bad_key_stops_the_command_with_a_message(db_url: str) -> None:
    environment = {**os.environ, "DATABASE_URL": db_url, "PYTHONPATH": str(ROOT / "src")}
    environment.pop("PLATFORM_API_KEY", None)
    command = [sys.executable, "-m", "praisonai_platform", "mcp"]
    missing = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and "API key" in missing.stderr
    revoked = subprocess.run(
        [*command, "--api-key", "ppk_not-a-key-we-made"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert revoked.returncode == 1
    assert "not valid" in revoked.stderr and revoked.stdout == ""
