"""Attacks the rate limits must stop: password guessing against one account from many addresses,
a forged X-Forwarded-For, made-up credentials that would each get a fresh budget, raw
credentials in the counters' storage, and several server processes each counting on their own."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Any

import coredis
import httpx
import pytest
from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from praisonai_platform.api.rate_limits.middleware import RateLimits
from tests.api import conftest as api_fixtures
from tests.api import test_rate_limits as rate_limit_fixtures
from tests.api.test_rate_limits import LOGIN, ME, Connect, Limit, assert_limited
from tests.factories import PASSWORD, Person
from tests.live.conftest import start_server, stop_server

# The fixtures of the API tests and of the rate-limit tests, used here under their own names.
app, client, make_user, server_settings = (
    api_fixtures.app,
    api_fixtures.client,
    api_fixtures.make_user,
    api_fixtures.server_settings,
)
connect, limit, redis_url, storage = (
    rate_limit_fixtures.connect,
    rate_limit_fixtures.limit,
    rate_limit_fixtures.redis_url,
    rate_limit_fixtures.storage,
)


async def test_guessing_one_accounts_password_from_many_addresses_is_stopped(
    client: httpx.AsyncClient, connect: Connect, limit: Limit, make_user: Any
) -> None:
    limit(rate_limit_failures_per_account="3/minute;6/hour")
    victim: Person = await make_user()
    bystander: Person = await make_user()
    answers = [
        await connect(f"198.18.0.{n}").post(
            LOGIN, json={"email": victim.email.upper(), "password": f"guess-{n}"}
        )
        for n in range(5)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    assert_limited(answers[-1], 3)
    # The right password learns nothing while the account waits...
    guessed = await connect("198.18.1.1").post(
        LOGIN, json={"email": victim.email, "password": PASSWORD}
    )
    assert guessed.status_code == 429
    assert "token" not in guessed.text
    # ...and other accounts sign in as usual, from the attacker's addresses too.
    other = await connect("198.18.0.1").post(
        LOGIN, json={"email": bystander.email, "password": PASSWORD}
    )
    assert other.status_code == 200, other.text


async def test_a_forged_x_forwarded_for_does_not_change_the_bucket(
    client: httpx.AsyncClient, app: FastAPI, limit: Limit
) -> None:
    limit(rate_limit_anonymous="3/minute")
    # What `serve` runs: uvicorn believes X-Forwarded-For only from --forwarded-allow-ips.
    behind_proxy = ProxyHeadersMiddleware(app, trusted_hosts="10.0.0.1")  # type: ignore[arg-type]

    def peer(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=behind_proxy, client=(address, 50000))  # type: ignore[arg-type]
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async with peer("192.0.2.66") as attacker, peer("10.0.0.1") as proxy:
        statuses = [
            (await attacker.get(ME, headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code
            for n in range(5)
        ]
        assert statuses == [401, 401, 401, 429, 429]
        # Through the trusted proxy, each forwarded client has a budget of its own.
        for n in range(4):
            forwarded = await proxy.get(ME, headers={"X-Forwarded-For": f"203.0.113.{n}"})
            assert forwarded.status_code == 401


async def test_made_up_credentials_do_not_buy_fresh_budgets(
    client: httpx.AsyncClient, connect: Connect, limit: Limit, make_user: Any
) -> None:
    limit(rate_limit_rejected_credentials="4/minute")
    attacker = connect("192.0.2.77")
    statuses = [
        (
            await attacker.get(ME, headers={"Authorization": f"Bearer {secrets.token_hex(16)}"})
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 4 + [429] * 2
    refused = await attacker.get(ME, headers={"X-API-Key": f"ppk_{secrets.token_hex(16)}"})
    assert_limited(refused, 4)
    # Someone else, with a real token, is served.
    ada: Person = await make_user()
    assert (await client.get(ME, headers=ada.headers)).status_code == 200


async def test_credentials_and_emails_are_never_stored_raw(
    client: httpx.AsyncClient, app: FastAPI, limit: Limit, make_user: Any, storage: str
) -> None:
    settings = limit()
    ada: Person = await make_user()
    assert (await client.get(ME, headers=ada.headers)).status_code == 200
    login = await client.post(LOGIN, json={"email": ada.email, "password": "wrong-password"})
    assert login.status_code == 401
    limits: RateLimits = app.state.rate_limits
    if storage == "memory://":
        keys = list(limits.storage.events)  # type: ignore[union-attr]
    else:
        redis = coredis.Redis.from_url(storage, decode_responses=True)
        keys = [key async for key in redis.scan_iter(f"*{settings.rate_limit_key_prefix}*")]
    assert any("credential" in key for key in keys)
    assert any("account" in key for key in keys)
    for key in keys:
        assert ada.token not in key and ada.token.split(".")[-1] not in key
        assert ada.email not in key


@pytest.mark.sqlite_only
def test_server_processes_share_their_counters_through_redis(
    db_url: str, tmp_path: Path, redis_url: str
) -> None:
    budget = 6
    server = start_server(
        db_url,
        tmp_path / "server.log",
        workers=2,
        environment={
            "PLATFORM_RATE_LIMIT_STORAGE": redis_url,
            "PLATFORM_RATE_LIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "PLATFORM_RATE_LIMIT_ANONYMOUS": f"{budget}/minute",
        },
    )
    try:
        statuses = []
        for _ in range(3 * budget):
            # A new connection each time, so that both processes take requests.
            with httpx.Client(base_url=server.base_url, timeout=10) as fresh:
                statuses.append(fresh.get(ME).status_code)
    finally:
        stop_server(server)
    assert statuses == [401] * budget + [429] * (2 * budget), server.log()


ADMIN_LOGIN = "/admin/login"
SAME_SITE = {"Origin": "http://testserver"}


async def test_guessing_an_admins_password_at_the_admin_login_is_stopped(
    client: httpx.AsyncClient, connect: Connect, limit: Limit, make_user: Any
) -> None:
    limit(rate_limit_failures_per_account="3/minute")
    admin: Person = await make_user("root", is_admin=True)
    here = connect("198.18.2.1")

    async def sign_in(password: str, at: httpx.AsyncClient = here) -> httpx.Response:
        form = {"username": admin.email, "password": password}
        return await at.post(ADMIN_LOGIN, data=form, headers=SAME_SITE)

    # Successful sign-ins spend nothing of the failure budget...
    assert [(await sign_in(PASSWORD)).status_code for _ in range(3)] == [302] * 3
    # ...failed ones do, as at the API's login.
    guesses = [await sign_in(f"guess-{n}") for n in range(4)]
    assert [g.status_code for g in guesses] == [401, 401, 401, 429]
    assert "not an administrator" in guesses[0].text
    assert_limited(guesses[-1], 3)
    # The right password, from another address too, waits before it is checked.
    right = await sign_in(PASSWORD, connect("198.18.2.2"))
    assert right.status_code == 429
    assert "platform_admin" not in right.headers.get("set-cookie", "")


SIGN_IN_PATHS = [LOGIN, "/api/v1/auth/register", "/api/v1/auth/password-reset"]


def unpaired_surrogate_body(n: int) -> bytes:
    """JSON naming an email with a lone surrogate, which no UTF-8 text can hold."""
    return b'{"email": "\\ud800%d@example.com", "password": "x"}' % n


@pytest.mark.parametrize("path", SIGN_IN_PATHS)
async def test_an_unpaired_surrogate_in_a_sign_in_email_is_refused_and_counted(
    client: httpx.AsyncClient, connect: Connect, limit: Limit, path: str
) -> None:
    limit(rate_limit_auth_per_address="3/minute", rate_limit_auth_per_account="3/minute")
    json_body = {"Content-Type": "application/json"}
    here = connect("198.51.100.20")
    # Different emails from one address: the address's budget fills.
    answers = [
        await here.post(path, content=unpaired_surrogate_body(n), headers=json_body)
        for n in range(4)
    ]
    assert [a.status_code for a in answers[:3]] == [422] * 3, answers[0].text
    assert answers[0].json()["code"] == "validation_failed"
    assert_limited(answers[3], 3)
    # One email from many addresses: the account's budget fills.
    spread = [
        await connect(f"198.51.100.{30 + n}").post(
            path, content=unpaired_surrogate_body(99), headers=json_body
        )
        for n in range(4)
    ]
    assert [a.status_code for a in spread[:3]] == [422] * 3
    assert_limited(spread[3], 3)
