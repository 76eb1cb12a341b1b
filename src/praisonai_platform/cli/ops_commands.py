"""`praisonai-platform backup`, `restore` and `db purge`: straight on the configured database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from praisonai_platform.cli.output import CliError

if TYPE_CHECKING:
    from praisonai_platform.db.backup import Check


def backup(
    path: Path = typer.Argument(
        ..., help="The backup file to write.", metavar="PATH", dir_okay=False
    ),
    force: bool = typer.Option(False, "--force", help="Replace PATH if it exists."),
) -> None:
    """Back up the database to PATH while it is in use (SQLite: a copy of the file; PostgreSQL:
    a pg_dump archive)."""
    from praisonai_platform.config import load_settings
    from praisonai_platform.db import backup as backups

    settings = load_settings()
    try:
        checked = backups.backup(settings, path, force=force)
    except backups.BackupFailed as exc:
        raise CliError(str(exc)) from None
    typer.echo(f"backed up to {path} (revision {checked.revision or 'none'})")


def restore(
    path: Path = typer.Argument(
        ..., help="A file written by `backup`.", metavar="PATH", dir_okay=False
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace the contents of a database that holds tables."
    ),
) -> None:
    """Restore the database from PATH, then check it. Stop servers and workers first."""
    from praisonai_platform.config import load_settings
    from praisonai_platform.db import backup as backups

    settings = load_settings()
    try:
        checked = backups.restore(settings, path, force=force)
    except backups.BackupFailed as exc:
        raise CliError(str(exc)) from None
    typer.echo(f"restored from {path} and checked ({_summary(checked)})")


def purge() -> None:
    """Delete expired idempotency keys, expired pending sign-ins, used or expired one-time
    account tokens, feed events older than PLATFORM_EVENTS_RETENTION_DAYS and finished webhook
    deliveries older than PLATFORM_WEBHOOK_DELIVERIES_RETENTION_DAYS, and say how many of each."""
    counts = asyncio.run(_purge())
    for kind, count in counts.items():
        typer.echo(f"{count} {kind}")


async def _purge() -> dict[str, int]:
    from praisonai_platform.db import get_engine, reset_engine
    from praisonai_platform.db.purge import purge as purge_expired

    get_engine()  # the database the environment names (DATABASE_URL, APP_DATABASE_*)
    try:
        return await purge_expired()
    finally:
        await reset_engine()


def _summary(checked: Check) -> str:
    rows = sum(checked.rows.values())
    return f"revision {checked.revision or 'none'}, {checked.tables} tables, {rows} rows"
