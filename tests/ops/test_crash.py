"""kill -9 under concurrent writes: after each restart the database is sound and every create
that was answered 201 is there (a SQLite file in WAL mode, and PostgreSQL)."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

import httpx

from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import get_engine
from tests.factories import new_user
from tests.live.conftest import SECRET, free_port, start_server, stop_server
from tests.ops.conftest import API, Writers, assert_consistent, issue_rows

CRASHES = 3
WRITES_BETWEEN_CRASHES = 10


async def test_kill_9_under_concurrent_writes_loses_no_acknowledged_write(
    backend: str, db_url: str, tmp_path: Path
) -> None:
    get_engine(db_url)
    owner = await new_user(ServerSettings(jwt_secret=SECRET))
    port, log = free_port(), tmp_path / "server.log"
    server = await asyncio.to_thread(start_server, db_url, log, port=port)
    try:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
            created = await client.post(
                f"{API}/workspaces/", json={"name": "Crash"}, headers=owner.headers
            )
            assert created.status_code == 201, created.text
            workspace_id = created.json()["id"]
            writers = Writers(client, workspace_id, owner.headers, count=6)
            writers.start()
            try:
                for _ in range(CRASHES):
                    await writers.until(len(writers.acknowledged) + WRITES_BETWEEN_CRASHES)
                    # Creates in progress are cut off; new ones wait for the restart (so that
                    # the restarting server is not flooded before it is ready).
                    writers.pause()
                    assert writers.in_flight > 0
                    server.process.send_signal(signal.SIGKILL)
                    await asyncio.to_thread(server.process.wait)
                    server = await asyncio.to_thread(start_server, db_url, log, port=port)
                    writers.resume()
                await writers.until(len(writers.acknowledged) + WRITES_BETWEEN_CRASHES)
                await writers.stop()
            finally:
                await writers.cancel()
        assert writers.failures == [], writers.failures

        if backend == "sqlite":
            path = Path(db_url.split("///", 1)[1])
            with sqlite3.connect(path) as connection:
                assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        issues, counter = issue_rows(db_url, workspace_id)
        missing = set(writers.acknowledged) - set(issues)
        assert not missing, f"{len(missing)} of {len(writers.acknowledged)} acknowledged lost"
        assert_consistent(issues, counter)
    finally:
        stop_server(server)
