"""What the benchmarks that measure a seeded database over HTTP share: a fresh, migrated and
seeded database (SQLite file or PostgreSQL), a person who may read its largest workspace, and a
server process on a free port.

Run from the project's root as part of `scale_bench.py` or `web_bench.py`, which import it from
beside them.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, create_engine, insert, select, text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_CLI = [sys.executable, "-m", "praisonai_platform"]
SECRET = "benchmark-secret-benchmark-secret-benchmark"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sync_url(url: str) -> str:
    from praisonai_platform.config import derive_alembic_database_url

    return derive_alembic_database_url(url)


def admin_engine(url: str) -> Engine:
    """PostgreSQL's own database on `url`'s server, for creating and dropping `url`'s."""
    return create_engine(
        sync_url(str(make_url(url).set(database="postgres"))), isolation_level="AUTOCOMMIT"
    )


def drop(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = admin_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" (FORCE)'))
    admin.dispose()


def prepare(url: str, issues: int, environment: dict[str, str]) -> float:
    """An empty, migrated database, then the seeded issues; the seconds seeding took."""
    drop(url)
    if url.startswith("sqlite"):
        Path(make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
    else:
        admin = admin_engine(url)
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
        admin.dispose()
    subprocess.run([*PLATFORM_CLI, "db", "upgrade"], env=environment, cwd=ROOT, check=True)
    started = time.perf_counter()
    subprocess.run(
        [*PLATFORM_CLI, "demo", "seed", "--issues", str(issues), "--random-seed", "7"],
        env=environment,
        cwd=ROOT,
        check=True,
    )
    seconds = time.perf_counter() - started
    print(f"seeded {issues} issues in {seconds:.1f} s", flush=True)
    return seconds


def join_largest_workspace(
    connection: Connection, environment: dict[str, str], email: str, password: str, role: str
) -> tuple[Any, str, bool]:
    """The workspace with the most issues (its id, slug, issue_prefix and issue_counter), the id
    of the person `email` (created if new) who is its member with `role`, and whether they joined
    just now (False when a reused database had them already)."""
    from praisonai_platform.db.models import Member, User, Workspace

    subprocess.run(
        [*PLATFORM_CLI, "user", "create", "--email", email, "--password-stdin"],
        input=f"{password}\n".encode(),
        env=environment,
        cwd=ROOT,
        check=False,  # already there when the database is reused
        capture_output=True,
    )
    row = connection.execute(
        select(Workspace.id, Workspace.slug, Workspace.issue_prefix, Workspace.issue_counter)
        .order_by(Workspace.issue_counter.desc())
        .limit(1)
    ).one()
    me = str(connection.scalar(select(User.id).where(User.email == email)))
    member = select(Member.id).where(Member.workspace_id == row.id, Member.user_id == me)
    if connection.scalar(member) is not None:
        return row, me, False
    connection.execute(
        insert(Member).values(id=f"bench-{row.id}"[:36], workspace_id=row.id, user_id=me, role=role)
    )
    return row, me, True


def start_server(environment: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*PLATFORM_CLI, "serve", "--port", str(port)],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return process
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")
