"""/mcp in this process, with the application's lifespan running: what the API's middleware
does for it (rate limits), and malformed requests answered without a server error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.api.app import create_app
from praisonai_platform.api.rate_limits import RateLimitSettings
from praisonai_platform.core.server_settings import ServerSettings
from tests.factories import TEST_SECRET
from tests.mcp.conftest import Team
from tests.mcp.test_http import INITIALIZE, MCP_HEADERS


@asynccontextmanager
async def running(db_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FastAPI]:
    """An application of its own, its lifespan (and so the MCP endpoint) running. (Entered
    and left in the test's own task, as the endpoint's task group must be.)"""
    monkeypatch.setenv("DATABASE_URL", db_url)
    app = create_app(ServerSettings(jwt_secret=TEST_SECRET, env="test"))
    async with app.router.lifespan_context(app):
        yield app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_calls_count_against_the_keys_write_budget(
    db_url: str, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {team.owner_key}"}
    async with running(db_url, monkeypatch) as app, client_of(app) as http:
        app.state.rate_limit_settings = RateLimitSettings(
            rate_limit_storage="memory://", rate_limit_writes="2/minute"
        )
        answers = [(await http.post("/mcp", json=INITIALIZE, headers=headers)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "rate_limited" and "Retry-After" in answers[2].headers


def call(name: str, arguments: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": name, "arguments": arguments}}  # fmt: skip


async def test_malformed_requests_get_no_server_error(
    db_url: str, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {team.owner_key}"}
    json_headers = {**headers, "Content-Type": "application/json"}
    key_only = {"Authorization": headers["Authorization"]}
    requests: list[tuple[str, dict[str, Any]]] = [
        ("POST", {"content": b"{not json", "headers": json_headers}),
        ("POST", {"content": b"[]", "headers": json_headers}),
        ("POST", {"json": {"jsonrpc": "2.0", "id": 1}, "headers": headers}),
        ("POST", {"json": {"jsonrpc": "2.0", "method": 5, "id": 1}, "headers": headers}),
        ("POST", {"json": INITIALIZE, "headers": key_only}),
        ("POST", {"content": b"\xff\xfe", "headers": json_headers}),
        ("POST", {"json": call("get_issue", {"issue": ["x"]}), "headers": headers}),
        ("POST", {"json": call("get_issue", "not an object"), "headers": headers}),
        ("POST", {"content": b"x" * (3 * 1024 * 1024), "headers": json_headers}),
        ("GET", {"headers": headers}),
        ("DELETE", {"headers": headers}),
        ("PUT", {"json": INITIALIZE, "headers": headers}),
    ]
    async with running(db_url, monkeypatch) as app, client_of(app) as http:
        for method, arguments in requests:
            answer = await asyncio.wait_for(http.request(method, "/mcp", **arguments), 60)
            assert answer.status_code < 500, (method, arguments, answer.status_code, answer.text)
            assert "Traceback" not in answer.text
