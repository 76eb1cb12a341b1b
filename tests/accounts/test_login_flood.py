"""A flood of sign-ins does not hurt anyone else: while many logins hash passwords, another
user's writes go through. (How fast they stay is measured by benchmarks/login_flood.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from praisonai_platform.accounts import passwords
from tests.factories import PASSWORD, Person

LOGINS = 12
AT_ONCE = 6
CREATES = 8


async def test_other_users_create_issues_while_logins_flood(
    client: httpx.AsyncClient, app: FastAPI, make_user: Any, make_workspace: Any
) -> None:
    app.state.rate_limit_settings = None  # the flood itself is the point, not its limit
    target: Person = await make_user("target")
    bystander: Person = await make_user("bystander")
    workspace = await make_workspace(bystander)
    url = f"/api/v1/workspaces/{workspace['id']}/issues/"
    hashing = asyncio.Event()
    original = passwords._bounded
    busy = 0
    most = 0

    async def counting(work: Any, *args: object) -> Any:
        nonlocal busy, most
        async with passwords._semaphore():
            busy += 1
            most = max(most, busy)
            hashing.set()
            try:
                return await asyncio.to_thread(work, *args)
            finally:
                busy -= 1

    passwords._bounded = counting  # type: ignore[assignment]
    try:
        gate = asyncio.Semaphore(AT_ONCE)

        async def login(n: int) -> int:
            async with gate:
                password = PASSWORD if n % 3 == 0 else f"wrong guess {n}"
                email = target.email if n % 2 == 0 else f"nobody-{n}@example.com"
                response = await client.post(
                    "/api/v1/auth/login", json={"email": email, "password": password}
                )
                return response.status_code

        async def creates() -> list[int]:
            await hashing.wait()  # start once the flood is hashing
            statuses = []
            for n in range(CREATES):
                response = await client.post(
                    url, json={"title": f"during the flood {n}"}, headers=bystander.headers
                )
                statuses.append(response.status_code)
            return statuses

        *logins, created = await asyncio.gather(*(login(n) for n in range(LOGINS)), creates())
    finally:
        passwords._bounded = original  # type: ignore[method-assign]
    assert created == [201] * CREATES
    assert set(logins) <= {200, 401}, logins
    assert logins.count(200) == len([n for n in range(LOGINS) if n % 6 == 0])
    # Hashes queued: never more at once than the CPUs this process may use.
    assert 1 <= most <= passwords.concurrency()
    listed = await client.get(url, headers=bystander.headers, params={"limit": 100})
    assert len(listed.json()) == CREATES
