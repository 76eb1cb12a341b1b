"""The server dies mid-session and comes back: reads retry through it, creates are not repeated.

Both clients live through the same restart: the sync client reads from a thread while the async
client reads on the main thread, both retrying until the server answers again.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from praisonai_platform.client import ConnectionFailed, RetryPolicy
from tests.client.conftest import FLAVOURS, PASSWORD, ClientFactory, unique_email
from tests.live.conftest import LiveServer, free_port, start_server, stop_server

# Patient enough to outlast a restart (a few seconds here), bounded all the same.
PATIENT = RetryPolicy(attempts=80, backoff=0.2, max_backoff=0.5, jitter=False)


class Background(threading.Thread):
    """Runs a function in a thread and hands back its result or exception."""

    def __init__(self, function: Any, *arguments: Any) -> None:
        super().__init__(daemon=True)
        self.function, self.arguments = function, arguments
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.function(*self.arguments)
        except BaseException as exc:
            self.error = exc

    def outcome(self) -> Any:
        self.join(timeout=120)
        assert not self.is_alive(), "timed out"
        if self.error is not None:
            raise self.error
        return self.result


def restart_later(database_url: str, log_path: Path, port: int, delay: float) -> LiveServer:
    time.sleep(delay)
    return start_server(database_url, log_path, port=port)


def test_reads_retry_through_a_restart_and_creates_are_not_duplicated(
    client_database: str, tmp_path: Path
) -> None:
    port = free_port()
    log_path = tmp_path / "server.log"
    server = start_server(client_database, log_path, port=port)
    factories = [ClientFactory(flavour, server.base_url) for flavour in FLAVOURS]
    try:
        sessions = []
        for factory in factories:
            api: Any = factory(retries=PATIENT)
            api.register(email=unique_email(factory.flavour), password=PASSWORD)
            workspace = api.workspaces.create(name=f"Restart {factory.flavour}")
            issue = api.issues.create(workspace.id, "Written before the restart")
            sessions.append((api, workspace, issue))

        stop_server(server)
        for api, workspace, _ in sessions:
            started = time.monotonic()
            with pytest.raises(ConnectionFailed):
                api.issues.create(workspace.id, "Sent while the server is down")
            assert time.monotonic() - started < 1, "a create without a key must not be retried"

        restarter = Background(restart_later, client_database, log_path, port, 0.5)
        restarter.start()
        (sync_api, sync_workspace, sync_issue), (async_api, async_workspace, async_issue) = sessions
        sync_read = Background(sync_api.issues.get, sync_workspace.id, sync_issue.identifier)
        sync_read.start()
        assert async_api.issues.get(async_workspace.id, async_issue.identifier) == async_issue
        assert sync_read.outcome() == sync_issue
        server = restarter.outcome()

        for api, workspace, issue in sessions:
            titles = [i.title for i in api.issues.iter(workspace.id)]
            assert titles == ["Written before the restart"], "the create sent while down is lost"
            assert api.issues.create(workspace.id, "After").number == issue.number + 1
    finally:
        for factory in factories:
            factory.close()
        stop_server(server)
