"""What both executors share around the I/O: credentials, retry decisions, reading answers.

A request is sent again only when that is safe: the method is idempotent (GET, HEAD, PUT,
DELETE, OPTIONS) or the caller gave an Idempotency-Key. Then a connection failure, a timeout or
a 429/503 answer is retried, a bounded number of times, with exponential backoff and jitter; a
Retry-After header is honoured (up to `max_retry_after`).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from praisonai_platform.client.calls import API_PREFIX, Call
from praisonai_platform.client.errors import PlatformError, error_from_response, retry_after_seconds

T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 30.0
USER_AGENT = "praisonai-platform-python"
# Failures that may pass: not a malformed URL or an unsupported scheme, which never will.
TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    """Tries in all, the first included (1 turns retrying off)."""
    backoff: float = 0.5
    """Wait before the first retry, in seconds; doubled for each later one."""
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 503}))
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ValueError("waits must not be negative")

    def wait_after_response(
        self, call: Call[Any], attempt: int, response: httpx.Response
    ) -> float | None:
        """Seconds to wait before sending again, or None to take this answer."""
        if response.status_code not in self.statuses or not self._may_retry(call, attempt):
            return None
        announced = retry_after_seconds(response)
        if announced is not None:
            return min(announced, self.max_retry_after)
        return self._backoff(attempt)

    def wait_after_error(
        self, call: Call[Any], attempt: int, error: httpx.TransportError
    ) -> float | None:
        """Seconds to wait before sending again, or None to give up with the error."""
        transient = isinstance(error, TRANSIENT_ERRORS)
        return self._backoff(attempt) if transient and self._may_retry(call, attempt) else None

    def _may_retry(self, call: Call[Any], attempt: int) -> bool:
        return call.idempotent and attempt < self.attempts

    def _backoff(self, attempt: int) -> float:
        wait = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        return wait * random.uniform(0.5, 1.0) if self.jitter else wait


@dataclass(slots=True)
class Credentials:
    """What authenticates requests: a bearer token (from login or given) and/or an API key."""

    token: str | None = None
    api_key: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        return headers


def resolve_base_url(base_url: str | None) -> str:
    """The server's root URL: the argument, PLATFORM_URL, or http://127.0.0.1:8000.

    A URL ending in /api/v1 is accepted too.
    """
    url = (base_url or os.environ.get("PLATFORM_URL") or DEFAULT_URL).strip().rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    if "://" not in url:
        url = f"http://{url}"
    return url


def resolve_retry(retries: int | RetryPolicy | None, backoff: float | None) -> RetryPolicy:
    if isinstance(retries, RetryPolicy):
        return retries
    settings: dict[str, Any] = {}
    if retries is not None:
        settings["attempts"] = retries + 1
    if backoff is not None:
        settings["backoff"] = backoff
    return RetryPolicy(**settings)


def request_arguments(call: Call[Any], credentials: Credentials) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "method": call.method,
        "url": call.path,
        "params": dict(call.params) or None,
        "headers": {**credentials.headers(), **call.headers},
    }
    if call.json is not None:
        arguments["json"] = call.json
    return arguments


def read_response(call: Call[T], response: httpx.Response) -> T:
    if response.is_error:
        raise error_from_response(response)
    try:
        return call.read(response)
    except ValueError as exc:  # pydantic's ValidationError and JSON errors alike
        raise PlatformError(
            f"unexpected answer from the server to {call.method} {call.path} "
            f"(HTTP {response.status_code}); is {response.url.host} a praisonai-platform server?",
            status_code=response.status_code,
            code="invalid_response",
            response=response,
        ) from exc


def initial_credentials(token: str | None, api_key: str | None) -> Credentials:
    """The constructor's arguments, else PLATFORM_TOKEN and PLATFORM_API_KEY."""
    return Credentials(
        token=token if token is not None else os.environ.get("PLATFORM_TOKEN") or None,
        api_key=api_key if api_key is not None else os.environ.get("PLATFORM_API_KEY") or None,
    )


def http_options(
    base_url: str, timeout: float | httpx.Timeout | None, headers: dict[str, str] | None
) -> dict[str, Any]:
    from praisonai_platform import __version__

    return {
        "base_url": base_url,
        "timeout": timeout,
        "headers": {"User-Agent": f"{USER_AGENT}/{__version__}", **(headers or {})},
        "follow_redirects": False,
    }
