"""AsyncPlatformClient: the asynchronous client on httpx.AsyncClient, same surface as sync."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Self, TypeVar

import httpx

from praisonai_platform.client.calls import Call, Flow, Local, Operation, Pause
from praisonai_platform.client.core import ClientCore
from praisonai_platform.client.endpoints import AsyncRunner
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


class AsyncExecutor(AsyncRunner):
    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: Credentials,
        retry: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.retry = retry
        self._sleep = sleep

    async def run(self, operation: Operation[T]) -> T:
        if isinstance(operation, Call):
            return await self.send(operation)
        if isinstance(operation, Local):
            return operation.value
        return await self._drive(operation)

    async def iterate(self, call: Call[Page[T]]) -> AsyncIterator[T]:
        next_call: Call[Page[T]] | None = first_page_for_iteration(call)
        while next_call is not None:
            page = await self.send(next_call)
            for item in page.items:
                yield item
            next_call = following_page(next_call, page)

    async def send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.http.request(**request_arguments(call, self.credentials))
            except httpx.TransportError as exc:
                wait = self.retry.wait_after_error(call, attempt, exc)
                if wait is None:
                    raise error_from_transport(exc, str(self.http.base_url)) from exc
            else:
                wait = self.retry.wait_after_response(call, attempt, response)
                if wait is None:
                    return read_response(call, response)
            await self._sleep(wait)

    async def _drive(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                if isinstance(step, Pause):
                    await self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                try:
                    result = await self.send(step)
                except PlatformError as error:
                    step = flow.throw(error)
                else:
                    step = flow.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


class AsyncPlatformClient(ClientCore[AsyncRunner]):
    """The platform's REST API from asyncio; every method of PlatformClient, awaited.

    >>> async with AsyncPlatformClient(base_url="http://localhost:8000") as client:
    ...     await client.login(email="me@example.com", password="…")
    ...     workspace = await client.workspaces.create(name="Research")
    ...     async for issue in client.issues.iter(workspace.id, status="todo"):
    ...         print(issue.identifier)

    Options as for PlatformClient.
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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = resolve_base_url(base_url)
        self._http = httpx.AsyncClient(
            **http_options(self.base_url, timeout, headers), transport=transport
        )
        self._executor = AsyncExecutor(
            self._http, initial_credentials(token, api_key), resolve_retry(retries, backoff)
        )
        super().__init__(self._executor)

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._executor.retry

    async def close(self) -> None:
        await self._http.aclose()

    aclose = close

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncPlatformClient(base_url={self.base_url!r})"
