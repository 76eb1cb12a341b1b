"""The web app's pages with 10,000 issues in a workspace: server time of each main page.

For each backend (a SQLite file, a PostgreSQL database): an empty schema from the migrations,
then `praisonai-platform demo seed --issues N` into one workspace (labels, comments, projects,
assignees), a person who signs in (an admin of that workspace, so the settings pages open too,
with the issues of one seeded person handed to them so "my work" has rows), and one issue with
`--comments` Markdown comments added through the web app's own comment form. Then one server
process (uvicorn, as `serve` runs it); the benchmark signs in through the `/sign-in` form
(session cookie and CSRF token, as a browser does) and loads each page `--repeat` times after
two warm-up loads:

  - the board `/w/{slug}`;
  - the list `/w/{slug}/issues`: default, a status filter, a search (`q=`), sorted by priority,
    and a later keyset page (the "Next page" link followed `--pages` times);
  - an issue page with many comments, and an ordinary one (`/w/{slug}/issues/{KEY}`);
  - projects, my work, and the settings pages (general, members, labels, agents, API keys).

Server time: when the answer carries a `Server-Timing` header its total is shown; otherwise the
figure is the wall time to the whole response over loopback (which includes the client's side
of HTTP on the same machine, so it is a little pessimistic). The server process's own CPU time
per load is shown beside it: it moves far less than wall time on a machine other work keeps
busy. Target: median <= 100 ms; a page over it is marked "!".

Usage: .venv/bin/python benchmarks/web_bench.py [--backend sqlite|postgres|both]
       [--issues 10000] [--repeat 20] [--pages 10] [--comments 200] [--reuse]
       [--sqlite-path data/web-bench.db]
       [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/web_bench]
Without --reuse the databases are made afresh and dropped (the SQLite file deleted) at the end;
with --reuse a database seeded by an earlier --reuse run is measured as it is, and kept.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import statistics
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import httpx
from seeded_server import (
    ROOT,
    SECRET,
    admin_engine,
    drop,
    free_port,
    join_largest_workspace,
    prepare,
    start_server,
    sync_url,
)
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from praisonai_platform.web.issue_pages import COMMENTS_LIMIT

EMAIL = "web-bench@example.com"
PASSWORD = "bench-pass-bench-pass"
TARGET_MS = 100.0
HEADER = (
    f"  {'page (ms; ! median over target)':<34} {'median':>8} {'p95':>7} {'first':>7} "
    f"{'cpu/load':>8} {'S-Timing':>8} {'KiB':>6}"
)
COMMENT = (
    "Looked into this again (round {n}).\n\n"
    "- the retry loop gives up after **three** attempts\n"
    "- `timeout_seconds` is read once at start-up\n"
    "- see [the runbook](https://example.com/runbook) for the manual steps\n\n"
    "```python\nfor attempt in range(3):\n    send(event)\n```\n\n"
    "> Customers on the team plan reported it twice this week.\n"
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_NEXT = re.compile(r'rel="next" href="([^"]+)"')


@dataclass
class Workspace:
    id: str
    slug: str
    issues: int
    busy_key: str  # the issue given many comments (one with sub-issues)
    plain_key: str  # an ordinary issue


@dataclass
class Row:
    page: str
    url: str
    median_ms: float
    p95_ms: float
    first_ms: float  # the first load since the server started (nothing of it cached yet)
    cpu_ms: float | None
    server_timing_ms: float | None
    size_kib: float


@dataclass
class Results:
    backend: str
    seed_seconds: float | None
    rows: list[Row] = field(default_factory=list)


def exists(url: str) -> bool:
    if url.startswith("sqlite"):
        return Path(make_url(url).database or "").exists()
    admin = admin_engine(url)
    with admin.connect() as connection:
        found = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"),
            {"name": make_url(url).database},
        )
    admin.dispose()
    return found is not None


def bench_member(url: str, environment: dict[str, str]) -> Workspace:
    """The largest workspace; the signing-in person made its admin, with one seeded person's
    issues (assigned and created) handed over so that "my work" has something to show."""
    from praisonai_platform.db.models import Issue

    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        row, me, joined = join_largest_workspace(connection, environment, EMAIL, PASSWORD, "admin")
        if joined:
            other = connection.scalar(
                select(Issue.assignee_id)
                .where(Issue.workspace_id == row.id, Issue.assignee_id.is_not(None))
                .limit(1)
            )
            in_workspace = Issue.workspace_id == row.id
            connection.execute(
                update(Issue).where(in_workspace, Issue.assignee_id == other).values(assignee_id=me)
            )
            connection.execute(
                update(Issue)
                .where(in_workspace, Issue.created_by_id == other)
                .values(created_by_id=me)
            )
        children = (
            select(Issue.parent_id, func.count().label("children"))
            .where(Issue.workspace_id == row.id, Issue.parent_id.is_not(None))
            .group_by(Issue.parent_id)
            .subquery()
        )
        busy = connection.scalar(
            select(Issue.identifier)
            .join(children, children.c.parent_id == Issue.id)
            .order_by(children.c.children.desc(), Issue.issue_number)
            .limit(1)
        )
        count = connection.scalar(
            select(func.count()).select_from(Issue).where(Issue.workspace_id == row.id)
        )
    engine.dispose()
    plain = f"{row.issue_prefix}-{int(count or 0) // 2 + 7}"
    return Workspace(row.id, row.slug, int(count or 0), str(busy), plain)


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of process `pid` so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_timing_ms(header: str | None) -> float | None:
    """The `total` entry of a Server-Timing header (else the sum of its durations), in ms."""
    if not header:
        return None
    durations: dict[str, float] = {}
    for entry in header.split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "dur":
                with contextlib.suppress(ValueError):
                    durations[name] = float(value.strip().strip('"'))
    if not durations:
        return None
    return durations.get("total", sum(durations.values()))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def sign_in(http: httpx.Client) -> str:
    """Through the form, as a browser does; the CSRF token pages carry."""
    form = http.get("/sign-in")
    form.raise_for_status()
    match = _CSRF.search(form.text)
    assert match, "no CSRF token on the sign-in page"
    done = http.post(
        "/sign-in",
        data={"email": EMAIL, "password": PASSWORD, "next": "/", "csrf_token": match[1]},
    )
    if done.status_code != 303 or "platform_session" not in http.cookies:
        raise SystemExit(f"signing in failed: {done.status_code}")
    return unescape(match[1])


def add_comments(http: httpx.Client, ws: Workspace, token: str, wanted: int) -> None:
    """Bring the busy issue up to `wanted` comments, through the issue page's comment form."""
    page = http.get(f"/w/{ws.slug}/issues/{ws.busy_key}")
    page.raise_for_status()
    have = page.text.count('class="comment" id="comment-')
    for n in range(have, wanted):
        response = http.post(
            f"/w/{ws.slug}/issues/{ws.busy_key}/comments",
            data={"content": COMMENT.format(n=n + 1), "csrf_token": token},
        )
        if response.status_code != 303:
            raise SystemExit(f"adding a comment failed: {response.status_code}")
    if wanted > have:
        print(f"added {wanted - have} comments to {ws.busy_key}", flush=True)


def later_page(http: httpx.Client, ws: Workspace, pages: int) -> str:
    """The list's URL after following "Next page" `pages` times."""
    url = f"/w/{ws.slug}/issues"
    for _ in range(pages):
        response = http.get(url)
        response.raise_for_status()
        match = _NEXT.search(response.text)
        if match is None:
            break
        url = unescape(match[1])
    return url


def pages(ws: Workspace, later: str, pages_followed: int) -> list[tuple[str, str]]:
    base = f"/w/{ws.slug}"
    return [
        ("board", base),
        ("list: default", f"{base}/issues"),
        ("list: status=todo", f"{base}/issues?status=todo"),
        ("list: q=webhook", f"{base}/issues?q=webhook"),
        ("list: sort=-priority", f"{base}/issues?sort=-priority"),
        (f"list: keyset page {pages_followed + 1}", later),
        (f"issue {ws.busy_key} (many comments)", f"{base}/issues/{ws.busy_key}"),
        (f"issue {ws.plain_key}", f"{base}/issues/{ws.plain_key}"),
        ("projects", f"{base}/projects"),
        ("my work", f"{base}/my-work"),
        ("settings: general", f"{base}/settings/general"),
        ("settings: members", f"{base}/settings/members"),
        ("settings: labels", f"{base}/settings/labels"),
        ("settings: agents", f"{base}/settings/agents"),
        ("settings: API keys", f"{base}/settings/api-keys"),
    ]


def measure_page(http: httpx.Client, pid: int, name: str, url: str, repeat: int) -> Row:
    wall: list[float] = []
    timing: list[float] = []
    size = 0
    first = 0.0
    cpu_before = None
    for attempt in range(repeat + 2):
        if attempt == 2:
            cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        response = http.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{name}: {url} answered {response.status_code}")
        if attempt == 0:
            first = elapsed
        if attempt >= 2:
            wall.append(elapsed)
            reported = server_timing_ms(response.headers.get("server-timing"))
            if reported is not None:
                timing.append(reported)
        size = len(response.content)
    cpu_after = cpu_seconds(pid)
    cpu = None
    if cpu_before is not None and cpu_after is not None:
        cpu = (cpu_after - cpu_before) / repeat * 1000
    return Row(
        page=name,
        url=url,
        median_ms=statistics.median(wall),
        p95_ms=p95(wall),
        first_ms=first,
        cpu_ms=cpu,
        server_timing_ms=statistics.median(timing) if timing else None,
        size_kib=size / 1024,
    )


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
    seed_seconds = None
    if not (args.reuse and exists(url)):
        seed_seconds = prepare(url, args.issues, environment)
    try:
        ws = bench_member(url, environment)
        print(f"workspace {ws.slug}: {ws.issues} issues", flush=True)
        port = free_port()
        server = start_server(environment, port)
        results = Results(backend, seed_seconds)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
                token = sign_in(http)
                add_comments(http, ws, token, args.comments)
                later = later_page(http, ws, args.pages)
                print(HEADER, flush=True)
                for name, page_url in pages(ws, later, args.pages):
                    row = measure_page(http, server.pid, name, page_url, args.repeat)
                    results.rows.append(row)
                    show(row)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        if not args.reuse:
            drop(url)
    return results


def show(row: Row) -> None:
    mark = "!" if not row.median_ms <= TARGET_MS else " "
    cpu = f"{row.cpu_ms:8.1f}" if row.cpu_ms is not None else f"{'-':>8}"
    timing = f"{row.server_timing_ms:8.1f}" if row.server_timing_ms is not None else f"{'-':>8}"
    print(
        f"  {row.page:<34} {row.median_ms:7.1f}{mark} {row.p95_ms:7.1f} {row.first_ms:7.1f} "
        f"{cpu} {timing} {row.size_kib:6.0f}",
        flush=True,
    )


def report(all_results: list[Results], args: argparse.Namespace) -> None:
    timed = any(row.server_timing_ms is not None for r in all_results for row in r.rows)
    print(
        f"\nsummary: {args.repeat} loads of each page after 2 warm-ups; target median <= "
        f"{TARGET_MS:.0f} ms"
    )
    if not timed:
        print(
            "no Server-Timing header in the answers: the figures are wall time to the whole "
            "response over loopback"
        )
    for results in all_results:
        seeded = (
            f"seeded in {results.seed_seconds:.1f} s"
            if results.seed_seconds is not None
            else "reused"
        )
        print(f"\n{results.backend} ({args.issues} issues, {seeded})")
        print(HEADER)
        for row in results.rows:
            show(row)
        missed = [row.page for row in results.rows if not row.median_ms <= TARGET_MS]
        print(
            f"  met <= {TARGET_MS:.0f} ms: {len(results.rows) - len(missed)}/"
            f"{len(results.rows)}" + (f"; over: {', '.join(missed)}" if missed else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pages", type=int, default=10, help='"Next page" links to follow')
    parser.add_argument(
        "--comments", type=int, default=COMMENTS_LIMIT, help="on the busy issue (the most shown)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep (and reuse) the databases")
    parser.add_argument("--sqlite-path", default=str(ROOT / "data" / "web-bench.db"))
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/web_bench"
    )
    args = parser.parse_args()
    urls = {
        "sqlite": f"sqlite+aiosqlite:///{Path(args.sqlite_path).resolve()}",
        "postgres": args.postgres_url,
    }
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    report([run_backend(backend, urls[backend], args) for backend in backends], args)


if __name__ == "__main__":
    main()
