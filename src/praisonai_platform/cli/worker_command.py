"""`praisonai-platform worker`: claim runs from the shared database and run a handler on each."""

from __future__ import annotations

import asyncio
import os

import typer


def worker(
    context: typer.Context,
    handler: str | None = typer.Option(
        None,
        "--handler",
        help="The handler to run on each run, as module:function (looked up in the current "
        "directory first, then on the Python path).",
    ),
    concurrency: int = typer.Option(
        1, "--concurrency", min=1, max=1000, help="Runs worked on at the same time."
    ),
    agent: str | None = typer.Option(
        None, "--agent", help="Only take runs of this agent (its id)."
    ),
    workspace: list[str] | None = typer.Option(
        None,
        "--workspace",
        help="Only take runs of this workspace (its id); repeat for several. Default: every "
        "workspace on the server.",
    ),
    database_url: str | None = typer.Option(None, help="Database URL; overrides DATABASE_URL."),
    worker_id: str | None = typer.Option(
        None, help="Register under this id (default: host-pid-random)."
    ),
    name: str | None = typer.Option(None, help="A name to list the worker under."),
) -> None:
    """Run a worker beside the server, on the same database. SIGTERM or Ctrl-C stops it:
    running handlers get PLATFORM_WORKER_SHUTDOWN_GRACE_SECONDS to finish, then their runs go
    back to the queue. `worker list` lists workers instead."""
    if context.invoked_subcommand is not None:
        if handler is not None:
            raise typer.BadParameter(
                f"--handler starts a worker; it does not go with `{context.invoked_subcommand}`",
                param_hint="--handler",
            )
        return
    if handler is None:
        raise typer.BadParameter(
            "give the handler to run, as module:function (or a command: list)",
            param_hint="--handler",
        )
    from sqlalchemy.exc import SQLAlchemyError

    from praisonai_platform.config import load_settings
    from praisonai_platform.core.server_settings import load_serve_settings
    from praisonai_platform.worker.database import describe
    from praisonai_platform.worker.handlers import load_handler
    from praisonai_platform.worker.logs import configure_logging
    from praisonai_platform.worker.main import run_worker
    from praisonai_platform.worker.settings import load_worker_settings

    if database_url:
        os.environ["DATABASE_URL"] = database_url
        os.environ.pop("APP_DATABASE_URL", None)
    settings = load_settings()
    if settings.is_memory_sqlite:
        raise typer.BadParameter(
            "a worker shares the server's database: set DATABASE_URL to a SQLite file or "
            "PostgreSQL (an in-memory database lives inside one process)",
            param_hint="--database-url",
        )
    load_handler(handler)  # a bad reference stops here, before anything is registered
    log_level = load_serve_settings().log_level
    configure_logging(
        "DEBUG" if log_level == "trace" else log_level.upper(),  # trace is uvicorn's only
        load_worker_settings().log_format,
    )
    try:
        asyncio.run(
            run_worker(
                handler,
                concurrency=concurrency,
                agent_id=agent,
                worker_id=worker_id,
                name=name,
                workspace_ids=workspace or (),
            )
        )
    except (SQLAlchemyError, OSError) as exc:  # OSError: a refused or timed-out connection
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        where = describe(settings.resolved_database_url)
        typer.echo(f"database error on {where}: {type(exc).__name__}: {reason}", err=True)
        raise typer.Exit(1) from None
