"""`praisonai-platform demo …`: demonstration data written straight into the database."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from praisonai_platform.core.errors import PlatformError, ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Callable

    from praisonai_platform.demo.seed import SeedResult

# The database layer is imported inside the functions: other commands start faster without it.

app = typer.Typer(help="Fill the database with demonstration data.", no_args_is_help=True)


@app.command("seed")
def seed_command(
    issues: Annotated[
        int, typer.Option("--issues", min=1, max=100_000_000, help="How many issues to add.")
    ] = 1000,
    workspace: Annotated[
        str | None,
        typer.Option(
            "--workspace", help="Slug or id of the workspace to fill; default: a new one."
        ),
    ] = None,
    batch_size: Annotated[
        int,
        typer.Option(min=1, max=100_000, help="Issues written per transaction."),
    ] = 10_000,
    random_seed: Annotated[
        int | None, typer.Option(help="Make the generated data the same on every run.")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL; overrides DATABASE_URL.")
    ] = None,
) -> None:
    """Add realistic issues (with labels, assignees and comments) to a workspace, in bulk."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("issues", total=issues)
        try:
            result = asyncio.run(
                _seed(
                    database_url,
                    issues,
                    workspace=workspace,
                    batch_size=batch_size,
                    random_seed=random_seed,
                    progress=lambda done: bar.advance(task, done),
                )
            )
        except PlatformError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from None
    typer.echo(
        f"added {result.issues} issues (numbers {result.first_number} to {result.last_number}), "
        f"{result.comments} comments and {result.label_links} labels to workspace "
        f"{result.workspace_slug} (id {result.workspace_id})"
    )


async def _seed(
    database_url: str | None,
    issues: int,
    *,
    workspace: str | None,
    batch_size: int,
    random_seed: int | None,
    progress: Callable[[int], None],
) -> SeedResult:
    from praisonai_platform.db import get_engine, get_settings, reset_engine
    from praisonai_platform.demo.seed import seed

    try:
        engine = get_engine(database_url)
        if get_settings().is_memory_sqlite:
            raise ValidationFailed(
                "no database configured: set DATABASE_URL (or pass --database-url) to the "
                "server's database"
            )
        return await seed(
            engine,
            issues,
            workspace=workspace,
            batch_size=batch_size,
            random_seed=random_seed,
            progress=progress,
        )
    finally:
        await reset_engine()
