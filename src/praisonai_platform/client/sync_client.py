"""PlatformClient: the synchronous client on httpx.Client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from praisonai_platform.client.calls import Call, Flow, Local, Operation, Pause
from praisonai_platform.client.core import ClientCore
from praisonai_platform.client.endpoints import SyncRunner
from praisonai_platform.client.errors import PlatformError, error_from_transport
from praisonai_platform.client.pages import Page, first_page_for_iteration, following_page
from praisonai_platform.client.transport import (
    DEFAULT_TIMEOUT,
    Credentials,
    RetryPolicy,
    http_options,
    initial_credentials,
    read_response,
    request_arguments,
    resolve_base_url,
    resolve_retry,
)

T = TypeVar("T")


class SyncExecutor(SyncRunner):
    def __init__(
        self,
        http: httpx.Client,
        credentials: Credentials,
        retry: RetryPolicy,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.retry = retry
        self._sleep = sleep

    def run(self, operation: Operation[T]) -> T:
        if isinstance(operation, Call):
            return self.send(operation)
        if isinstance(operation, Local):
            return operation.value
        return self._drive(operation)

    def iterate(self, call: Call[Page[T]]) -> Iterator[T]:
        next_call: Call[Page[T]] | None = first_page_for_iteration(call)
        while next_call is not None:
            page = self.send(next_call)
            yield from page.items
            next_call = following_page(next_call, page)

    def send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.request(**request_arguments(call, self.credentials))
            except httpx.TransportError as exc:
                wait = self.retry.wait_after_error(call, attempt, exc)
                if wait is None:
                    raise error_from_transport(exc, str(self.http.base_url)) from exc
            else:
                wait = self.retry.wait_after_response(call, attempt, response)
                if wait is None:
                    return read_response(call, response)
            self._sleep(wait)

    def _drive(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                if isinstance(step, Pause):
                    self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                try:
                    result = self.send(step)
                except PlatformError as error:
                    step = flow.throw(error)
                else:
                    step = flow.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


class PlatformClient(ClientCore[SyncRunner]):
    """The platform's REST API from Python.

    >>> client = PlatformClient(base_url="http://localhost:8000")
    >>> client.login(email="me@example.com", password="…")
    >>> workspace = client.workspaces.create(name="Research")
    >>> issue = client.issues.create(workspace_id=workspace.id, title="Setup database")

    `base_url` defaults to PLATFORM_URL, then http://127.0.0.1:8000; `token` to PLATFORM_TOKEN;
    `api_key` (sent as X-API-Key) to PLATFORM_API_KEY. `retries` is how many times a request
    that is safe to repeat is sent again after a connection failure, a timeout, a 429 or a 503
    (default 2), or a RetryPolicy; `backoff` is the first wait in seconds. `timeout` is in
    seconds (or an httpx.Timeout).
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        api_key: str | None = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        retries: int | RetryPolicy | None = None,
        backoff: float | None = None,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self._http = httpx.Client(
            **http_options(self.base_url, timeout, headers), transport=transport
        )
        self._executor = SyncExecutor(
            self._http, initial_credentials(token, api_key), resolve_retry(retries, backoff)
        )
        super().__init__(self._executor)

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._executor.retry

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PlatformClient(base_url={self.base_url!r})"
