# ruff: noqa: F811  (fixtures imported from the API and live tests)
"""The MCP server at a live server's /mcp, over streamable HTTP with the SDK's client."""

from __future__ import annotations

import httpx

from tests.live.conftest import (  # noqa: F401
    LiveServer,
    live_server,
    live_server_environment,
)
from tests.mcp.conftest import Team, answer, error_code, over_http
from tests.mcp.scenario import every_tool

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "curl", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


async def test_every_tool_over_http(live_server: LiveServer, team: Team) -> None:
    async with (
        over_http(live_server.base_url, team.owner_key) as owner,
        over_http(live_server.base_url, team.agent_key) as agent,
    ):
        await every_tool(owner, agent, team)


async def test_each_call_acts_with_the_key_it_carries(live_server: LiveServer, team: Team) -> None:
    async with (
        over_http(live_server.base_url, team.outsider_key) as outsider,
        over_http(live_server.base_url, team.read_only_key) as reader,
    ):
        where = {"issue": team.world.issue_id, "workspace": team.world.workspace_id}
        hidden = await outsider.call_tool("get_issue", where)
        assert error_code(hidden) == "not_found"
        seen = answer(await reader.call_tool("get_issue", {"issue": team.world.issue_key}))
        assert seen["issue"]["id"] == team.world.issue_id
        refused = await reader.call_tool("add_comment", {"issue": team.world.issue_key,
                                                         "content": "hello"})  # fmt: skip
        assert error_code(refused) == "forbidden"


async def test_no_key_no_entry(live_server: LiveServer, team: Team) -> None:
    url = f"{live_server.base_url}/mcp"
    async with httpx.AsyncClient() as http:
        welcome = await http.post(
            url,
            json=INITIALIZE,
            headers={**MCP_HEADERS, "Authorization": f"Bearer {team.member_key}"},
        )
        assert welcome.status_code == 200, welcome.text
        assert welcome.json()["result"]["serverInfo"]["name"] == "praisonai-platform"
        # The API's headers: security headers and the key's rate-limit budget.
        assert welcome.headers["x-content-type-options"] == "nosniff"
        assert "x-ratelimit-remaining" in welcome.headers
        for headers in (
            {},
            {"Authorization": "Bearer ppk_made-up"},
            {"Authorization": f"Bearer {team.owner_key}x"},
            {"Authorization": "Basic dXNlcjpwYXNz"},
        ):
            response = await http.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})
            assert response.status_code == 401, response.text
            assert response.json()["code"] in ("unauthenticated", "invalid_api_key")
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.headers["x-content-type-options"] == "nosniff"
        # A revoked key is refused from then on.
        revoked = await http.delete(
            f"{live_server.base_url}/api/v1/api-keys/{await _key_id(http, live_server, team)}",
            headers={"Authorization": f"Bearer {team.member_key}"},
        )
        assert revoked.status_code in (200, 204), revoked.text
        after = await http.post(
            url,
            json=INITIALIZE,
            headers={**MCP_HEADERS, "Authorization": f"Bearer {team.member_key}"},
        )
        assert after.status_code == 401


async def _key_id(http: httpx.AsyncClient, server: LiveServer, team: Team) -> str:
    listed = await http.get(
        f"{server.base_url}/api/v1/api-keys", headers={"Authorization": f"Bearer {team.member_key}"}
    )
    assert listed.status_code == 200, listed.text
    (key,) = listed.json()
    return str(key["id"])
