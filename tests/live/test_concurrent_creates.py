"""Sixteen clients creating issues in one workspace against a real server process."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.live.conftest import LiveServer

CLIENTS = 16
ISSUES = 500
# How long a SQLite writer waits for the write lock before the request fails with 503. The
# default (5 s) is meant for interactive use; with 16 writers queued on one file and the CPU
# shared with parallel test workers, a create can wait longer than that without anything
# being wrong. Waiting is fine here; every create must still succeed and numbers stay 1..500.
BUSY_TIMEOUT_MS = 120_000
REQUEST_TIMEOUT = 2 * BUSY_TIMEOUT_MS / 1000


@pytest.fixture
def live_server_environment() -> dict[str, str]:
    return {"APP_DATABASE_SQLITE_BUSY_TIMEOUT_MS": str(BUSY_TIMEOUT_MS)}


async def test_sixteen_clients_create_500_issues_numbered_1_to_500(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=REQUEST_TIMEOUT) as client:
        account = {"email": "load@example.com", "password": "load-test-pw"}
        registered = await client.post("/api/v1/auth/register", json=account)
        assert registered.status_code == 202, registered.text
        signed_in = await client.post("/api/v1/auth/login", json=account)
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        workspace = await client.post(
            "/api/v1/workspaces/", json={"name": "Load", "issue_prefix": "LD"}, headers=headers
        )
        assert workspace.status_code == 201, workspace.text
        issues_url = f"/api/v1/workspaces/{workspace.json()['id']}/issues/"

    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(ISSUES):
        queue.put_nowait(n)
    statuses: list[int] = []
    numbers: list[int] = []

    async def worker() -> None:
        async with httpx.AsyncClient(
            base_url=live_server.base_url, timeout=REQUEST_TIMEOUT
        ) as client:
            while True:
                try:
                    n = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                response = await client.post(
                    issues_url, json={"title": f"load {n}"}, headers=headers
                )
                statuses.append(response.status_code)
                if response.status_code == 201:
                    numbers.append(response.json()["number"])

    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    assert statuses.count(201) == ISSUES, (sorted(set(statuses)), live_server.log()[-2000:])
    assert sorted(numbers) == list(range(1, ISSUES + 1))
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=REQUEST_TIMEOUT) as client:
        counted = {**headers, "Prefer": "count=exact"}
        listed = await client.get(issues_url, params={"limit": 1}, headers=counted)
        assert listed.headers["X-Total-Count"] == str(ISSUES)
