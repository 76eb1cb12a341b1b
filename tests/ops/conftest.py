"""Writers that create issues without pause, for the backup, crash and shutdown tests."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

import httpx
from sqlalchemy import create_engine, text

from praisonai_platform.config import derive_alembic_database_url
from tests.api.conftest import (  # noqa: F401  (the in-process API client and its factories)
    app,
    client,
    make_user,
    make_workspace,
    server_settings,
)

API = "/api/v1"
WAIT_SECONDS = 60


@dataclass
class Writers:
    """`count` tasks creating issues in one workspace until stopped. A create answered 201 is
    acknowledged; a create whose connection failed may or may not have happened."""

    client: httpx.AsyncClient
    workspace_id: str
    headers: dict[str, str]
    count: int = 4
    acknowledged: list[str] = field(default_factory=list)  # titles, in order of answer
    in_flight: int = 0
    failures: list[str] = field(default_factory=list)  # answers other than 201
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _answered: asyncio.Condition = field(default_factory=asyncio.Condition)
    _open: asyncio.Event = field(default_factory=lambda: _opened(asyncio.Event()))

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._write(n)) for n in range(self.count)]

    async def stop(self) -> None:
        self._stop.set()
        self._open.set()
        await asyncio.gather(*self._tasks)

    async def cancel(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def pause(self) -> None:
        """Send no new request (those in progress go on) until `resume`."""
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    async def until(self, acknowledged: int) -> None:
        """Wait until at least `acknowledged` creates were answered 201."""
        async with asyncio.timeout(WAIT_SECONDS), self._answered:
            await self._answered.wait_for(lambda: len(self.acknowledged) >= acknowledged)

    async def _write(self, writer: int) -> None:
        path = f"{API}/workspaces/{self.workspace_id}/issues/"
        while not self._stop.is_set():
            await self._open.wait()
            title = f"w{writer}-{next(self._serial)}"
            self.in_flight += 1
            try:
                response = await self.client.post(path, json={"title": title}, headers=self.headers)
            except httpx.TransportError:
                await asyncio.sleep(0.05)  # the server is down: try again shortly
                continue
            finally:
                self.in_flight -= 1
            if response.status_code == 201:
                self.acknowledged.append(title)
                async with self._answered:
                    self._answered.notify_all()
            else:
                self.failures.append(f"{response.status_code} {response.text[:200]}")


def _opened(event: asyncio.Event) -> asyncio.Event:
    event.set()
    return event


def issue_rows(database_url: str, workspace_id: str) -> tuple[dict[str, int], int]:
    """The workspace's issues (title -> number) and its issue counter, read directly."""
    engine = create_engine(derive_alembic_database_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT title, issue_number FROM issues WHERE workspace_id = :w"),
                {"w": workspace_id},
            ).all()
            counter = connection.execute(
                text("SELECT issue_counter FROM workspaces WHERE id = :w"), {"w": workspace_id}
            ).scalar_one()
    finally:
        engine.dispose()
    return {title: number for title, number in rows}, int(counter)


def assert_consistent(issues: dict[str, int], counter: int) -> None:
    """Every create is one transaction (counter, issue): a consistent database numbers its
    issues 1..counter with no gap and no repeat."""
    assert sorted(issues.values()) == list(range(1, counter + 1))
