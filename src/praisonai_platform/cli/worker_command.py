"""`praisonai-platform worker`: claim runs from the shared database and run a handler on each."""

from __future__ import annotations

import asyncio
import logging
import os

import typer


def worker(
    handler: str = typer.Option(
        ..., "--handler", help="The handler to run on each run, as module:function."
    ),
    concurrency: int = typer.Option(
        1, "--concurrency", min=1, max=1000, help="Runs worked on at the same time."
    ),
    agent: str | None = typer.Option(
        None, "--agent", help="Only take runs of this agent (its id)."
    ),
    database_url: str | None = typer.Option(None, help="Database URL; overrides DATABASE_URL."),
    worker_id: str | None = typer.Option(
        None, help="Register under this id (default: host-pid-random)."
    ),
    name: str | None = typer.Option(None, help="A name to list the worker under."),
) -> None:
    """Run a worker beside the server, on the same database. SIGTERM or Ctrl-C stops it:
    running handlers get PLATFORM_WORKER_SHUTDOWN_GRACE_SECONDS to finish, then their runs go
    back to the queue."""
    from praisonai_platform.config import load_settings
    from praisonai_platform.core.server_settings import load_serve_settings
    from praisonai_platform.worker.handlers import load_handler
    from praisonai_platform.worker.main import run_worker

    if database_url:
        os.environ["DATABASE_URL"] = database_url
        os.environ.pop("APP_DATABASE_URL", None)
    if load_settings().is_memory_sqlite:
        raise typer.BadParameter(
            "a worker shares the server's database: set DATABASE_URL to a SQLite file or "
            "PostgreSQL (an in-memory database lives inside one process)",
            param_hint="--database-url",
        )
    load_handler(handler)  # a bad reference stops here, before anything is registered
    log_level = load_serve_settings().log_level
    logging.basicConfig(
        level="DEBUG" if log_level == "trace" else log_level.upper(),  # trace is uvicorn's only
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(
        run_worker(handler, concurrency=concurrency, agent_id=agent, worker_id=worker_id, name=name)
    )
