"""What the test suite's fork server (tests/forkserver.py) saves per command and per server start.

Measures CPU seconds (user + system, of the processes started and their children), not wall
time: on a shared machine wall time follows the load, while CPU time is what the suite's
parallel workers compete for. Prints, for `python -m praisonai_platform version` and for
starting a server on a SQLite file until /ready answers then stopping it: a fresh interpreter
(the baseline, measured in the same run), a process forked from the fork server, their ratio,
and what starting the fork server itself costs once per test process.

Usage: .venv/bin/python benchmarks/forkserver_bench.py [--commands 20] [--servers 3]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import forkserver  # noqa: E402
from tests.live.conftest import start_server, stop_server  # noqa: E402

from praisonai_platform.config import load_settings  # noqa: E402
from praisonai_platform.db import migrate  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_of(work: Callable[[], None]) -> float:
    """CPU seconds of the child processes `work` started and waited for."""
    before = children_cpu()
    work()
    return children_cpu() - before


def fresh_commands(count: int) -> None:
    for _ in range(count):
        subprocess.run([sys.executable, "-m", "praisonai_platform", "version"], check=True,
                       capture_output=True)  # fmt: skip


def forked_commands(count: int) -> None:
    """The fork server's own start and end are counted too (its children are reaped by it)."""
    for _ in range(count):
        assert forkserver.run_cli("version").returncode == 0
    close_fork_server()


def start_and_close_fork_server() -> None:
    forkserver._fork_server()
    close_fork_server()


def close_fork_server() -> None:
    if forkserver._server is not None:
        forkserver._server.close()
        forkserver._server = None


def servers(count: int, database_url: str, log: Path, *, fresh: bool) -> None:
    for _ in range(count):
        stop_server(start_server(database_url, log, fresh=fresh))
    close_fork_server()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=20)
    parser.add_argument("--servers", type=int, default=3)
    options = parser.parse_args()

    fork_server_alone = cpu_of(start_and_close_fork_server)
    fresh = cpu_of(lambda: fresh_commands(options.commands)) / options.commands
    forked = cpu_of(lambda: forked_commands(options.commands)) - fork_server_alone
    forked /= options.commands
    print(f"fork server start and end: {fork_server_alone:.2f} CPU s, once per test process")
    print(f"command, fresh:  {fresh:.3f} CPU s")
    print(f"command, forked: {forked:.3f} CPU s ({forked / fresh:.2f} of fresh)")

    with tempfile.TemporaryDirectory() as directory:
        database_url = f"sqlite+aiosqlite:///{directory}/platform.db"
        migrate.upgrade(load_settings(database_url=database_url), "head")
        log = Path(directory) / "server.log"
        count = options.servers
        fresh_start = cpu_of(lambda: servers(count, database_url, log, fresh=True)) / count
        forked_start = cpu_of(lambda: servers(count, database_url, log, fresh=False))
        forked_start = (forked_start - fork_server_alone) / count
    print(f"server start and stop, fresh:  {fresh_start:.2f} CPU s")
    print(f"server start and stop, forked: {forked_start:.2f} CPU s "
          f"({forked_start / fresh_start:.2f} of fresh)")  # fmt: skip


if __name__ == "__main__":
    main()
