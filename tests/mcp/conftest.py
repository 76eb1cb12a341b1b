# ruff: noqa: F811  (fixtures imported from the API tests)
"""A team with keys of every kind, and MCP clients (the SDK's own) connected three ways.

`team` is a workspace (prefix ENG) with an owner, an admin, a member, an outsider, an agent and
an issue, plus an API key per kind of credential. `in_memory` connects the SDK's `Client` to
the server in this process; `over_stdio` spawns `praisonai-platform mcp` and talks to it over
its standard input and output; `over_http` talks to a live server's /mcp.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from mcp.client.client import Client
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import CallToolResult, ListToolsResult, ReadResourceResult

from praisonai_platform.accounts.settings import AccountSettings
from praisonai_platform.billing.settings import load_billing_settings
from praisonai_platform.mcp_server.calls import McpConfig
from praisonai_platform.mcp_server.server import build_server
from praisonai_platform.runs.settings import load_run_settings
from tests.api.conftest import (  # noqa: F401  (fixtures)
    add_member,
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)
from tests.factories import create_api_key
from tests.runs.helpers import World, build_world

ROOT = Path(__file__).resolve().parents[2]


class McpClient(Protocol):
    """What the tests use of `Client` and `ClientSession` alike."""

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> Any: ...

    async def list_tools(self) -> Any: ...

    async def read_resource(self, uri: Any) -> Any: ...


@dataclass
class Team:
    world: World
    owner_key: str
    read_only_key: str
    agent_key: str
    member_key: str
    outsider_key: str
    limited_key: str  # the owner's, limited to another workspace of theirs
    other_workspace_id: str


@pytest.fixture
async def team(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> Team:  # type: ignore[no-untyped-def]
    world = await build_world(client, make_user, make_workspace, add_member)

    async def key(person: Any, **fields: Any) -> str:
        return str((await create_api_key(client, person, **fields))["key"])

    other = await make_workspace(world.owner, issue_prefix="OPS")
    return Team(
        world=world,
        owner_key=await key(world.owner),
        read_only_key=await key(world.owner, scopes=["read"]),
        agent_key=await key(world.owner, agent_id=world.agent_id),
        member_key=await key(world.member),
        outsider_key=await key(world.outsider),
        limited_key=await key(world.owner, workspace_id=other["id"]),
        other_workspace_id=other["id"],
    )


def config(key: str, **fields: Any) -> McpConfig:
    defaults: dict[str, Any] = {
        "run_settings": load_run_settings(),
        "billing_settings": load_billing_settings(),
        "account_settings": AccountSettings(),
    }
    return McpConfig(api_key=key, **{**defaults, **fields})


@asynccontextmanager
async def in_memory(key: str, **fields: Any) -> AsyncIterator[Client]:
    """The SDK's client connected to the server in this process, on the test's database."""
    async with Client(build_server(config(key, **fields))) as connected:
        yield connected


@asynccontextmanager
async def over_stdio(database_url: str, key: str) -> AsyncIterator[ClientSession]:
    """`praisonai-platform mcp` as a process of its own, talked to over stdio."""
    environment = {
        "DATABASE_URL": database_url,
        "PLATFORM_API_KEY": key,
        "PYTHONPATH": str(ROOT / "src"),
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    parameters = StdioServerParameters(
        command=sys.executable, args=["-m", "praisonai_platform", "mcp"], env=environment
    )
    async with (
        stdio_client(parameters) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@asynccontextmanager
async def over_http(base_url: str, key: str) -> AsyncIterator[ClientSession]:
    """A live server's /mcp, with the key as bearer token."""
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        create_mcp_http_client(headers=headers) as http,
        streamable_http_client(f"{base_url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def answer(result: CallToolResult) -> Any:
    """A successful call's structured answer."""
    assert not result.is_error, result.content
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(result.content[0].text)  # type: ignore[union-attr]


def error(result: CallToolResult) -> str:
    """A failed call's message (it starts with the stable code)."""
    assert result.is_error, result.structured_content
    text: str = result.content[0].text  # type: ignore[union-attr]
    return text


def error_code(result: CallToolResult) -> str:
    return error(result).split(":", 1)[0]


def tool_names(listed: ListToolsResult) -> set[str]:
    return {tool.name for tool in listed.tools}


def resource_json(result: ReadResourceResult) -> Any:
    return json.loads(result.contents[0].text)  # type: ignore[union-attr]
