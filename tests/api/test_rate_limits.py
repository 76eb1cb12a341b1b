"""Rate limits on both storages (this process's memory and Redis): budgets per token or API key
(reads and writes apart), per client address, and on the sign-in paths per address and account
with a growing back-off after failures; 429 with Retry-After and the RateLimit headers.

Each test sets tiny budgets on the app; on Redis every test counts under a key prefix of its own.
PostgreSQL-style rule for Redis: found through PLATFORM_TEST_REDIS_URL (default the local server);
unreachable, its half is skipped, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from praisonai_platform.api.rate_limits import RateLimitSettings
from praisonai_platform.api.rate_limits.middleware import RateLimits
from praisonai_platform.core.errors import ConfigurationError
from praisonai_platform.core.settings import load
from tests.factories import PASSWORD, Person

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
WORKSPACES = "/api/v1/workspaces/"

Limit = Callable[..., RateLimitSettings]
Connect = Callable[[str], httpx.AsyncClient]


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("PLATFORM_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(64).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        reason = f"Redis not reachable at {url}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true needs Redis. {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> str:
    """The URI of the counters' storage: each test runs on both."""
    if request.param == "memory":
        return "memory://"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def limit(app: FastAPI, storage: str) -> Limit:
    """Give the app these rate-limit settings (on the test's storage, under a key prefix of the
    test's own); the app fixture restores its state afterwards."""
    prefix = f"test-{uuid.uuid4().hex}"

    def configure(**fields: Any) -> RateLimitSettings:
        settings = RateLimitSettings(
            rate_limit_storage=storage, rate_limit_key_prefix=prefix, **fields
        )
        app.state.rate_limit_settings = settings
        return settings

    return configure


@pytest.fixture
async def connect(client: httpx.AsyncClient, app: FastAPI) -> AsyncIterator[Connect]:
    """Clients of the same app (and database) from other addresses."""
    opened: list[httpx.AsyncClient] = []

    def open_from(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        opened.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return opened[-1]

    yield open_from
    for other in opened:
        await other.aclose()


def assert_limited(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "rate_limited"
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    assert (
        response.headers["RateLimit-Limit"] == response.headers["X-RateLimit-Limit"] == str(limit)
    )
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["RateLimit-Reset"]) <= retry_after + 1
    assert abs(int(response.headers["X-RateLimit-Reset"]) - (time.time() + retry_after)) <= 2


async def test_a_spent_budget_answers_429_with_retry_after_and_both_header_sets(
    client: httpx.AsyncClient, make_user: Any, limit: Limit
) -> None:
    limit(rate_limit_reads="3/minute")
    ada: Person = await make_user()
    for remaining in (2, 1, 0):
        answer = await client.get(ME, headers=ada.headers)
        assert answer.status_code == 200
        assert answer.headers["RateLimit-Limit"] == answer.headers["X-RateLimit-Limit"] == "3"
        assert answer.headers["RateLimit-Remaining"] == str(remaining)
        assert answer.headers["X-RateLimit-Remaining"] == str(remaining)
        assert 0 < int(answer.headers["RateLimit-Reset"]) <= 60
        assert int(answer.headers["X-RateLimit-Reset"]) > time.time()
    refused = await client.get(ME, headers=ada.headers)
    assert_limited(refused, 3)
    assert int(refused.headers["Retry-After"]) <= 60
    assert "retry after" in refused.json()["detail"]


async def test_the_budget_frees_once_its_window_has_passed(
    client: httpx.AsyncClient, make_user: Any, limit: Limit
) -> None:
    limit(rate_limit_reads="2/second")
    ada: Person = await make_user()
    assert [(await client.get(ME, headers=ada.headers)).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    await asyncio.sleep(1.1)
    assert (await client.get(ME, headers=ada.headers)).status_code == 200


async def test_reads_and_writes_have_separate_budgets(
    client: httpx.AsyncClient, make_user: Any, limit: Limit
) -> None:
    limit(rate_limit_reads="2/minute", rate_limit_writes="2/minute")
    ada: Person = await make_user()
    for _ in range(2):
        assert (await client.get(ME, headers=ada.headers)).status_code == 200
    assert_limited(await client.get(ME, headers=ada.headers), 2)
    # Reads spent, writes untouched.
    for n in range(2):
        created = await client.post(WORKSPACES, json={"name": f"W{n}"}, headers=ada.headers)
        assert created.status_code == 201, created.text
        assert created.headers["RateLimit-Remaining"] == str(1 - n)
    assert_limited(await client.post(WORKSPACES, json={"name": "W3"}, headers=ada.headers), 2)


async def test_one_users_flood_does_not_limit_another(
    client: httpx.AsyncClient, make_user: Any, limit: Limit
) -> None:
    limit(rate_limit_reads="5/minute")
    flooder: Person = await make_user()
    bystander: Person = await make_user()
    answers = await asyncio.gather(*(client.get(ME, headers=flooder.headers) for _ in range(12)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [429] * 7
    # Same address, other credential: a budget of its own.
    assert (await client.get(ME, headers=bystander.headers)).status_code == 200


async def test_an_api_key_has_a_budget_of_its_own(
    client: httpx.AsyncClient, make_user: Any, limit: Limit
) -> None:
    limit(rate_limit_reads="2/minute", rate_limit_writes="5/minute")
    ada: Person = await make_user()
    created = await client.post("/api/v1/api-keys", json={"label": "ci"}, headers=ada.headers)
    assert created.status_code == 201, created.text
    key = {"X-API-Key": created.json()["key"]}
    for _ in range(2):
        assert (await client.get(ME, headers=ada.headers)).status_code == 200
    assert (await client.get(ME, headers=ada.headers)).status_code == 429
    assert (await client.get(ME, headers=key)).status_code == 200
    assert (await client.get(ME, headers=key)).status_code == 200
    assert (await client.get(ME, headers=key)).status_code == 429


async def test_anonymous_requests_count_per_client_address(
    client: httpx.AsyncClient, connect: Connect, limit: Limit
) -> None:
    limit(rate_limit_anonymous="2/minute")
    here, there = connect("192.0.2.1"), connect("192.0.2.2")
    assert [(await here.get(ME)).status_code for _ in range(3)] == [401, 401, 429]
    assert_limited(await here.get(ME), 2)
    assert (await there.get(ME)).status_code == 401


async def test_only_the_api_is_limited(
    client: httpx.AsyncClient, make_user: Any, limit: Limit
) -> None:
    limit(rate_limit_anonymous="1/minute")
    for _ in range(3):
        health = await client.get("/health")
        assert health.status_code == 200
        assert "RateLimit-Limit" not in health.headers


async def test_switched_off_nothing_is_limited_or_reported(
    client: httpx.AsyncClient, make_user: Any, limit: Limit
) -> None:
    limit(rate_limit_enabled=False, rate_limit_reads="1/minute")
    ada: Person = await make_user()
    for _ in range(3):
        answer = await client.get(ME, headers=ada.headers)
        assert answer.status_code == 200
        assert "RateLimit-Limit" not in answer.headers


async def test_sign_in_is_limited_per_client_address(
    client: httpx.AsyncClient, connect: Connect, limit: Limit
) -> None:
    limit(rate_limit_auth_per_address="3/minute")
    here, there = connect("198.51.100.7"), connect("198.51.100.8")
    # Bodies that fail validation are cheap (no password hashing) and count all the same.
    for n in range(3):
        answer = await here.post(LOGIN, json={"email": f"u{n}@example.com"})
        assert answer.status_code == 422
        assert answer.headers["X-RateLimit-Limit"] == "3"
    assert_limited(await here.post(LOGIN, json={"email": "u9@example.com"}), 3)
    assert (await there.post(LOGIN, json={"email": "u9@example.com"})).status_code == 422
    # Each sign-in path has budgets of its own.
    assert (await here.post("/api/v1/auth/register", json={})).status_code == 422


async def test_sign_in_is_limited_per_account_whatever_the_address(
    client: httpx.AsyncClient, connect: Connect, limit: Limit
) -> None:
    limit(rate_limit_auth_per_account="3/minute")
    answers = [
        await connect(f"203.0.113.{n}").post(LOGIN, json={"email": " Victim@Example.com "})
        for n in range(4)
    ]
    assert [a.status_code for a in answers[:3]] == [422] * 3
    assert_limited(answers[3], 3)
    # Another account from the same addresses is not affected.
    assert (await connect("203.0.113.1").post(LOGIN, json={"email": "x@y.z"})).status_code == 422


async def test_failed_sign_ins_make_the_wait_grow(
    client: httpx.AsyncClient, make_user: Any, limit: Limit
) -> None:
    limit(rate_limit_failures_per_account="2/2seconds;3/minute")
    ada: Person = await make_user()
    wrong = {"email": ada.email, "password": "not the password"}
    assert [(await client.post(LOGIN, json=wrong)).status_code for _ in range(2)] == [401, 401]
    first = await client.post(LOGIN, json=wrong)
    assert_limited(first, 2)
    assert int(first.headers["Retry-After"]) <= 2
    assert "failed attempts" in first.json()["detail"]
    # Even the right password waits: the refusal comes before the password is checked.
    right = {"email": ada.email, "password": PASSWORD}
    assert (await client.post(LOGIN, json=right)).status_code == 429
    await asyncio.sleep(2.1)
    assert (await client.post(LOGIN, json=wrong)).status_code == 401
    # Three failures: now the longer window holds, and the wait is about a minute.
    second = await client.post(LOGIN, json=right)
    assert_limited(second, 3)
    assert 30 < int(second.headers["Retry-After"]) <= 60


async def test_oauth_authorize_is_limited_per_client_address(
    client: httpx.AsyncClient, limit: Limit
) -> None:
    limit(rate_limit_auth_per_address="2/minute")
    path = "/api/v1/auth/oauth/nowhere/authorize"
    answers = [await client.get(path) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [404, 404]
    assert_limited(answers[2], 2)
    # Another provider's path falls under the same entry (`*` is one path segment).
    assert (await client.get("/api/v1/auth/oauth/other/authorize")).status_code == 429


async def test_two_processes_share_counters_through_redis(
    client: httpx.AsyncClient, make_user: Any, redis_url: str
) -> None:
    settings = RateLimitSettings(
        rate_limit_storage=redis_url,
        rate_limit_key_prefix=f"test-{uuid.uuid4().hex}",
        rate_limit_reads="3/minute",
    )
    first, second = RateLimits(settings), RateLimits(settings)  # as two server processes would
    verdicts = [await limits.hit(limits.reads, "reads", "k") for limits in (first, second) * 2]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.budget.remaining for v in verdicts if v.budget] == [2, 1, 0, 0]


async def test_an_unreachable_storage_does_not_stop_the_api(
    client: httpx.AsyncClient, make_user: Any, app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    app.state.rate_limit_settings = RateLimitSettings(
        rate_limit_storage="redis://127.0.0.1:9/0", rate_limit_reads="1/minute"
    )
    ada: Person = await make_user()
    for _ in range(2):
        assert (await client.get(ME, headers=ada.headers)).status_code == 200
    assert "storage failed" in caplog.text


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PLATFORM_RATE_LIMIT_READS", "lots"),
        ("PLATFORM_RATE_LIMIT_WRITES", "0/minute"),
        ("PLATFORM_RATE_LIMIT_STORAGE", "postgresql://x"),
        ("PLATFORM_RATE_LIMIT_AUTH_PATHS", '["not a path"]'),
        ("PLATFORM_RATE_LIMIT_STRATEGY", "leaky-bucket"),
    ],
)
def test_bad_settings_stop_the_start_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load(RateLimitSettings, {variable: value})


def test_settings_read_from_the_environment() -> None:
    settings = load(
        RateLimitSettings,
        {
            "PLATFORM_RATE_LIMIT_STORAGE": "redis://cache:6379/2",
            "PLATFORM_RATE_LIMIT_READS": "10/second; 100/minute",
            "PLATFORM_RATE_LIMIT_AUTH_PATHS": '["/api/v1/auth/login"]',
        },
    )
    assert settings.storage_uri == "async+redis://cache:6379/2"
    assert [str(item) for item in settings.items("rate_limit_reads")] == [
        "10 per 1 second",
        "100 per 1 minute",
    ]
    assert settings.rate_limit_auth_paths == ["/api/v1/auth/login"]
