"""Retries, timeouts, credentials and error mapping, against a scripted transport (no server)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from praisonai_platform.client import (
    AsyncPlatformClient,
    ConnectionFailed,
    PlatformClient,
    PlatformError,
    RateLimited,
    RequestTimeout,
    RetryPolicy,
    ServerError,
)
from praisonai_platform.client.calls import Call, read_nothing
from tests.client.conftest import FLAVOURS, ClientFactory

WORKSPACE = {
    "id": "w1",
    "name": "Research",
    "slug": "research",
    "issue_prefix": "RES",
    "settings": {},
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
}
FAST = RetryPolicy(attempts=3, backoff=0, jitter=False)

Reply = httpx.Response | Exception


class Script:
    """Answers requests in order with the given responses or exceptions; records requests."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply


@pytest.fixture(params=FLAVOURS)
def scripted(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    factory = ClientFactory(request.param, "http://platform.test")

    def make(script: Script, **options: Any) -> Any:
        options.setdefault("retries", FAST)
        return factory(transport=httpx.MockTransport(script), **options)

    yield make
    factory.close()


def unavailable(**headers: str) -> httpx.Response:
    body = {"detail": "the database is unavailable; try again", "code": "database_unavailable"}
    return httpx.Response(503, json=body, headers=headers)


def test_idempotent_requests_are_retried_on_503(scripted: Callable[..., Any]) -> None:
    script = Script(unavailable(), unavailable(), httpx.Response(200, json=WORKSPACE))
    assert scripted(script).workspaces.get("w1").name == "Research"
    assert len(script.requests) == 3


def test_retries_are_bounded_and_end_in_the_servers_error(scripted: Callable[..., Any]) -> None:
    script = Script(unavailable())
    with pytest.raises(ServerError) as failed:
        scripted(script).workspaces.delete("w1")
    assert (failed.value.status_code, failed.value.code) == (503, "database_unavailable")
    assert str(failed.value) == "the database is unavailable; try again"
    assert len(script.requests) == 3
    script = Script(unavailable())
    with pytest.raises(ServerError):
        scripted(script, retries=0).workspaces.get("w1")
    assert len(script.requests) == 1


def test_rate_limits_honour_retry_after(scripted: Callable[..., Any]) -> None:
    limited = httpx.Response(
        429, json={"detail": "slow down", "code": "rate_limited"}, headers={"Retry-After": "0"}
    )
    script = Script(limited, httpx.Response(200, json=WORKSPACE))
    assert scripted(script).workspaces.get("w1").id == "w1"
    assert len(script.requests) == 2

    script = Script(limited)
    with pytest.raises(RateLimited) as exhausted:
        scripted(script).workspaces.get("w1")
    assert (exhausted.value.status_code, exhausted.value.retry_after) == (429, 0.0)
    assert len(script.requests) == 3


def test_creates_and_updates_are_not_retried_blindly(scripted: Callable[..., Any]) -> None:
    script = Script(unavailable(), httpx.Response(201, json=WORKSPACE))
    with pytest.raises(ServerError):
        scripted(script).workspaces.create(name="Research")
    assert len(script.requests) == 1

    script = Script(httpx.ConnectError("connection refused"))
    with pytest.raises(ConnectionFailed) as refused:
        scripted(script).workspaces.create(name="Research")
    assert refused.value.status_code is None
    assert refused.value.code == "connection_failed"
    assert "connection refused" in str(refused.value)
    assert len(script.requests) == 1

    script = Script(unavailable(), httpx.Response(200, json=WORKSPACE))
    with pytest.raises(ServerError):
        scripted(script).workspaces.update("w1", name="Renamed")
    assert len(script.requests) == 1


def test_a_create_with_an_idempotency_key_is_retried(scripted: Callable[..., Any]) -> None:
    script = Script(
        httpx.ConnectError("refused"), unavailable(), httpx.Response(201, json=WORKSPACE)
    )
    created = scripted(script).workspaces.create(name="Research", idempotency_key="create-ws-1")
    assert created.id == "w1"
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["create-ws-1"] * 3
    assert {r.content for r in script.requests} == {b'{"name":"Research"}'}


def test_connection_errors_and_timeouts_on_reads(scripted: Callable[..., Any]) -> None:
    script = Script(httpx.ConnectError("refused"), httpx.Response(200, json=WORKSPACE))
    assert scripted(script).workspaces.get("w1").id == "w1"
    assert len(script.requests) == 2

    script = Script(httpx.ReadTimeout("too slow"))
    with pytest.raises(RequestTimeout) as slow:
        scripted(script).workspaces.get("w1")
    assert isinstance(slow.value, ConnectionFailed)
    assert slow.value.code == "timeout"
    assert len(script.requests) == 3


def test_an_answer_that_is_not_json_still_becomes_an_error(scripted: Callable[..., Any]) -> None:
    script = Script(httpx.Response(502, text="<html>Bad Gateway</html>"))
    with pytest.raises(ServerError) as proxy:
        scripted(script).workspaces.get("w1")
    assert (proxy.value.status_code, proxy.value.code) == (502, "http_502")
    assert str(proxy.value) == "<html>Bad Gateway</html>"
    script = Script(httpx.Response(418, json={"detail": "short and stout", "code": "teapot"}))
    with pytest.raises(PlatformError) as other:
        scripted(script).workspaces.get("w1")
    assert type(other.value) is PlatformError
    assert (other.value.status_code, other.value.code) == (418, "teapot")


def test_credentials_and_headers(scripted: Callable[..., Any]) -> None:
    script = Script(httpx.Response(200, json=WORKSPACE))
    client = scripted(script, token="tok", api_key="ppk_key", headers={"X-Trace": "1"})
    client.workspaces.get("w 1/2")
    request = script.requests[0]
    assert request.url.raw_path == b"/api/v1/workspaces/w%201%2F2"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.headers["X-API-Key"] == "ppk_key"
    assert request.headers["X-Trace"] == "1"
    assert request.headers["User-Agent"].startswith("praisonai-platform-python/")

    client.token = None
    client.workspaces.get("w1")
    assert "Authorization" not in script.requests[1].headers


def test_environment_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_URL", "platform.test:9000/")
    monkeypatch.setenv("PLATFORM_TOKEN", "from-env")
    monkeypatch.setenv("PLATFORM_API_KEY", "ppk_env")
    with PlatformClient() as client:
        assert (client.base_url, client.token, client.api_key) == (
            "http://platform.test:9000",
            "from-env",
            "ppk_env",
        )
    monkeypatch.delenv("PLATFORM_URL")
    with PlatformClient(token="explicit", timeout=2.5, retries=5, backoff=0.1) as client:
        assert (client.base_url, client.token) == ("http://127.0.0.1:8000", "explicit")
        assert client._http.timeout == httpx.Timeout(2.5)
        assert (client.retry_policy.attempts, client.retry_policy.backoff) == (6, 0.1)


def test_clients_close_explicitly_and_as_context_managers() -> None:
    with PlatformClient("http://platform.test") as client:
        pass
    assert client._http.is_closed
    explicit = PlatformClient("http://platform.test")
    explicit.close()
    assert explicit._http.is_closed

    async def use() -> AsyncPlatformClient:
        async with AsyncPlatformClient("http://platform.test") as async_client:
            pass
        return async_client

    assert asyncio.run(use())._http.is_closed


def test_backoff_doubles_is_capped_and_honours_retry_after() -> None:
    policy = RetryPolicy(attempts=10, backoff=0.5, max_backoff=3, jitter=False)
    get = Call("GET", "/x", read_nothing)
    refused = httpx.ConnectError("refused")
    assert [policy.wait_after_error(get, n, refused) for n in range(1, 6)] == [0.5, 1, 2, 3, 3]
    assert policy.wait_after_error(get, 10, refused) is None
    assert policy.wait_after_error(Call("POST", "/x", read_nothing), 1, refused) is None

    jittery = RetryPolicy(backoff=1)
    assert all(0.5 <= jittery.wait_after_error(get, 1, refused) <= 1 for _ in range(50))  # type: ignore[operator]

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    announced = policy.wait_after_response(
        get, 1, httpx.Response(503, headers={"Retry-After": later})
    )
    assert announced is not None and 25 < announced <= 30
    capped = RetryPolicy(max_retry_after=5).wait_after_response(
        get, 1, httpx.Response(429, headers={"Retry-After": "120"})
    )
    assert capped == 5
    assert policy.wait_after_response(get, 1, httpx.Response(500)) is None
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_an_answer_that_is_not_the_apis_is_a_platform_error(scripted: Callable[..., Any]) -> None:
    script = Script(httpx.Response(200, text="<html>a login page</html>"))
    with pytest.raises(PlatformError) as strange:
        scripted(script).workspaces.get("w1")
    assert (strange.value.status_code, strange.value.code) == (200, "invalid_response")
    assert "GET /api/v1/workspaces/w1" in str(strange.value)


def test_errors_that_cannot_pass_are_not_retried(scripted: Callable[..., Any]) -> None:
    script = Script(httpx.UnsupportedProtocol("unsupported protocol"))
    with pytest.raises(ConnectionFailed):
        scripted(script).workspaces.get("w1")
    assert len(script.requests) == 1
