"""The issue list at scale: one workspace with a million issues, measured over HTTP on each backend.

For each backend (a SQLite file, a PostgreSQL database), unless `--reuse` is given: an empty
schema from the migrations, then `praisonai-platform demo seed --issues N` into one workspace.
Then one server process (uvicorn, as `serve` runs it) and, over HTTP, the median latency of
`--repeat` requests (after two warm-up requests) for:

  - every sort (number, created_at, updated_at, priority; ascending and descending), unfiltered
    and under every filter (status, priority, assignee, creator, project, label, parent,
    updated_since);
  - search: `q=` on the list, and GET /workspaces/{id}/search;
  - a cursor page (the Link from the first page, and one from 90% of the way), offset at 90%,
    a first page with the total counted (`Prefer: count=exact`), and get by key;
  - the server's resident memory while paging through every issue with the cursor.

Targets at 1,000,000 issues: every list, filter and sort p50 <= 20 ms, search <= 50 ms, a cursor
page <= 20 ms, get by key <= 10 ms, memory flat. Figures over the limits are marked with "!".

Usage: .venv/bin/python benchmarks/scale_bench.py [--backend sqlite|postgres|both]
       [--issues 1000000] [--reuse] [--repeat 10] [--memory-pages 0 (= all)]
       [--sqlite-path data/scale-bench.db]
       [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/scale]
The seeded databases stay where they are, so later runs can pass --reuse.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from seeded_server import (
    ROOT,
    SECRET,
    free_port,
    join_largest_workspace,
    prepare,
    start_server,
    sync_url,
)
from sqlalchemy import create_engine, func, select

EMAIL = "scale-bench@example.com"
PASSWORD = "bench-pass-bench-pass"
SORTS = [
    sign + sort for sort in ("number", "created_at", "updated_at", "priority") for sign in "-+"
]
LIST_TARGET_MS, SEARCH_TARGET_MS, CURSOR_TARGET_MS, GET_TARGET_MS = 20.0, 50.0, 20.0, 10.0


@dataclass
class Workspace:
    id: str
    prefix: str
    issues: int
    user: str
    agent: str
    project: str
    parent_key: str  # an issue with sub-issues


@dataclass
class Results:
    backend: str
    rows: list[tuple[str, float, float]] = field(default_factory=list)  # (what, p50, target)
    matrix: dict[str, dict[str, float]] = field(default_factory=dict)  # filter -> sort -> p50
    memory: list[tuple[int, float]] = field(default_factory=list)  # (pages, MiB)


def bench_member(url: str, environment: dict[str, str]) -> Workspace:
    """The largest workspace, with a signed-in member to read it as."""
    from praisonai_platform.db.models import Agent, Issue, Project

    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        row, _me, _joined = join_largest_workspace(
            connection, environment, EMAIL, PASSWORD, "member"
        )
        user = connection.scalar(
            select(Issue.assignee_id).where(
                Issue.workspace_id == row.id, Issue.assignee_id.is_not(None)
            )
        )
        agent = connection.scalar(select(Agent.id).where(Agent.workspace_id == row.id))
        project = connection.scalar(select(Project.id).where(Project.workspace_id == row.id))
        parent = connection.scalar(
            select(Issue.parent_id)
            .where(Issue.workspace_id == row.id, Issue.parent_id.is_not(None))
            .limit(1)
        )
        parent_number = connection.scalar(select(Issue.issue_number).where(Issue.id == parent))
        issues = connection.scalar(
            select(func.count()).select_from(Issue).where(Issue.workspace_id == row.id)
        )
    engine.dispose()
    return Workspace(
        id=row.id,
        prefix=row.issue_prefix,
        issues=int(issues or 0),
        user=str(user),
        agent=str(agent),
        project=str(project),
        parent_key=f"{row.issue_prefix}-{parent_number}",
    )


def filters(ws: Workspace) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    yield "(none)", []
    yield "status=todo", [("status", "todo")]
    yield "status=blocked (2%)", [("status", "blocked")]
    yield "status=todo,in-progress", [("status", "todo"), ("status", "in-progress")]
    yield "priority=urgent", [("priority", "urgent")]
    yield "priority=high,urgent", [("priority", "high"), ("priority", "urgent")]
    yield "assignee=a user", [("assignee_id", ws.user)]
    yield "assignee=an agent", [("assignee_id", ws.agent)]
    yield "assignee=none", [("assignee_id", "none")]
    yield "assignee_type=agent", [("assignee_type", "agent")]
    yield "creator=a user", [("creator_id", ws.user)]
    yield "project", [("project_id", ws.project)]
    yield "label=bug", [("label", "bug")]
    yield "label=bug,security", [("label", "bug"), ("label", "security")]
    yield "parent=none", [("parent_issue_id", "none")]
    yield "parent=an issue", [("parent_issue_id", ws.parent_key)]
    yield "updated_since=1 day", [("updated_since", since)]


class Client:
    def __init__(self, http: httpx.AsyncClient, headers: dict[str, str], repeat: int) -> None:
        self.http, self.headers, self.repeat = http, headers, repeat

    async def p50(
        self, url: str, params: Any = None, headers: dict[str, str] | None = None
    ) -> float:
        timings = []
        for attempt in range(self.repeat + 2):
            started = time.perf_counter()
            response = await self.http.get(url, params=params, headers=headers or self.headers)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                return float("nan")
            if attempt >= 2:
                timings.append(elapsed)
        return statistics.median(timings)

    async def get(self, url: str, params: Any = None) -> httpx.Response:
        response = await self.http.get(url, params=params, headers=self.headers)
        response.raise_for_status()
        return response


# Two pages of 100 and one more issue: the cursor measurements follow a page's Link.
MIN_ISSUES = 201


def link_cursor(response: httpx.Response) -> str:
    link = response.headers["Link"]
    return link.split("cursor=")[1].split(">")[0].split("&")[0]


async def measure(port: int, ws: Workspace, args: argparse.Namespace, results: Results) -> None:
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        signed_in = await http.post(
            "/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
        )
        signed_in.raise_for_status()
        client = Client(http, {"Authorization": f"Bearer {signed_in.json()['token']}"}, args.repeat)
        issues = f"/api/v1/workspaces/{ws.id}/issues/"
        for name, params in filters(ws):
            row = results.matrix.setdefault(name, {})
            for sort in SORTS:
                row[sort] = await client.p50(issues, [*params, ("sort", sort.lstrip("+"))])
            print(f"  {name:<26}" + " ".join(f"{row[s]:7.1f}" for s in SORTS), flush=True)

        def add(what: str, p50: float, target: float) -> None:
            results.rows.append((what, p50, target))
            mark = "!" if not p50 <= target else " "
            print(f"  {what:<44} {p50:8.1f} ms{mark}", flush=True)

        add("default list (50)", await client.p50(issues), LIST_TARGET_MS)
        for q in ("webhook", "webh", "zzzqqq"):
            add(f"list q={q}", await client.p50(issues, {"q": q}), SEARCH_TARGET_MS)
        search = f"/api/v1/workspaces/{ws.id}/search"
        for q in ("webhook", "retries login", f"{ws.prefix}-4242"):
            add(f"search q={q}", await client.p50(search, {"q": q}), SEARCH_TARGET_MS)
        first = await client.get(issues, {"limit": 100})
        add(
            "cursor page of 100 (2nd)",
            await client.p50(issues, {"limit": 100, "cursor": link_cursor(first)}),
            CURSOR_TARGET_MS,
        )
        # At 90%, or earlier in a small workspace: the page must have one after it.
        deep_offset = max(0, min(int(ws.issues * 0.9), ws.issues - 101))
        deep = await client.get(issues, {"limit": 100, "offset": deep_offset})
        add(
            "cursor page of 100 (at 90%)",
            await client.p50(issues, {"limit": 100, "cursor": link_cursor(deep)}),
            CURSOR_TARGET_MS,
        )
        add("offset at 90% (50)", await client.p50(issues, {"offset": deep_offset}), LIST_TARGET_MS)
        counted = {**client.headers, "Prefer": "count=exact"}
        add(
            "first page with Prefer: count=exact",
            await client.p50(issues, None, counted),
            float("inf"),
        )
        add(
            "count, status=blocked",
            await client.p50(issues, {"status": "blocked"}, counted),
            float("inf"),
        )
        key = f"{ws.prefix}-{ws.issues // 2 + 7}"
        add(f"get by key {key}", await client.p50(issues + key), GET_TARGET_MS)
        await page_through(client, issues, args, results)


async def page_through(
    client: Client, issues: str, args: argparse.Namespace, results: Results
) -> None:
    """Follow the cursor through every issue (or --memory-pages pages), sampling server RSS."""
    pid = args.server_pid
    pages, cursor = 0, None
    started = time.perf_counter()
    results.memory.append((0, rss_mib(pid)))
    while True:
        params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
        response = await client.get(issues, params)
        pages += 1
        if pages % 500 == 0:
            results.memory.append((pages, rss_mib(pid)))
        if "Link" not in response.headers or (args.memory_pages and pages >= args.memory_pages):
            break
        cursor = link_cursor(response)
    results.memory.append((pages, rss_mib(pid)))
    elapsed = time.perf_counter() - started
    print(
        f"  paged {pages} pages of 200 in {elapsed:.0f} s ({elapsed / pages * 1000:.1f} ms/page); "
        "RSS MiB: " + ", ".join(f"{mib:.0f}@{n}" for n, mib in results.memory),
        flush=True,
    )


def rss_mib(pid: int) -> float:
    """Resident memory of the server and its children, from /proc."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(entry.name) == pid or fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


def run_backend(backend: str, url: str, args: argparse.Namespace) -> Results:
    print(f"== {backend}: {url}", flush=True)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DATABASE_URL"))}
    environment = {
        **base_env,
        "DATABASE_URL": url,
        "PLATFORM_JWT_SECRET": SECRET,
        "PLATFORM_LOG_LEVEL": "warning",
        "PLATFORM_RATE_LIMIT_READS": "100000000/minute",
        "PLATFORM_RATE_LIMIT_WRITES": "100000000/minute",
    }
    if not args.reuse:
        prepare(url, args.issues, environment)
    ws = bench_member(url, environment)
    print(f"workspace {ws.id}: {ws.issues} issues", flush=True)
    port = free_port()
    server = start_server(environment, port)
    args.server_pid = server.pid
    results = Results(backend)
    print(f"  {'p50 ms by filter and sort':<26}" + " ".join(f"{s:>7}"[-7:] for s in SORTS))
    try:
        asyncio.run(measure(port, ws, args, results))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def report(all_results: list[Results]) -> None:
    print("\nsummary (p50 ms; ! over the target)")
    for results in all_results:
        worst = max(
            (
                (p50, name, sort)
                for name, row in results.matrix.items()
                for sort, p50 in row.items()
            ),
            default=(0.0, "", ""),
        )
        over = [
            f"{name} {sort}"
            for name, row in results.matrix.items()
            for sort, p50 in row.items()
            if not p50 <= LIST_TARGET_MS
        ]
        print(
            f"{results.backend}: {sum(len(r) for r in results.matrix.values())} filter x sort "
            f"lists, worst {worst[0]:.1f} ms ({worst[1]} {worst[2]}); over {LIST_TARGET_MS:.0f} "
            f"ms: {len(over)} {over[:12]}"
        )
        for what, p50, target in results.rows:
            mark = "!" if not p50 <= target else ""
            print(f"  {what:<44} {p50:8.1f}{mark}")
        if results.memory:
            values = [mib for _n, mib in results.memory]
            print(f"  server RSS while paging: {min(values):.0f}-{max(values):.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="measure the seeded databases")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--memory-pages", type=int, default=0, help="0: page through all")
    parser.add_argument("--sqlite-path", default=str(ROOT / "data" / "scale-bench.db"))
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/scale"
    )
    args = parser.parse_args()
    if args.issues < MIN_ISSUES:
        parser.error(f"--issues must be at least {MIN_ISSUES}: the cursor pages need two pages")
    urls = {
        "sqlite": f"sqlite+aiosqlite:///{Path(args.sqlite_path).resolve()}",
        "postgres": args.postgres_url,
    }
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    report([run_backend(backend, urls[backend], args) for backend in backends])


if __name__ == "__main__":
    main()
