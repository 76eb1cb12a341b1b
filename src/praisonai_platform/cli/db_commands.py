"""`praisonai-platform db …`: the schema's migrations on the configured database."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from praisonai_platform.config import Settings

app = typer.Typer(help="Apply and inspect database migrations.", no_args_is_help=True)


def _migrations() -> tuple[ModuleType, Settings]:
    """Alembic and the database layer load only when a db command runs (other commands start
    faster without them)."""
    from praisonai_platform.config import load_settings
    from praisonai_platform.db import migrate

    return migrate, load_settings()


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate, settings = _migrations()
    migrate.upgrade(settings, revision)
    typer.echo(f"upgraded to {revision}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base'.")) -> None:
    """Revert migrations down to REVISION."""
    migrate, settings = _migrations()
    migrate.downgrade(settings, revision)
    typer.echo(f"downgraded to {revision}")


@app.command()
def current() -> None:
    """Show the revision the database is at."""
    migrate, settings = _migrations()
    typer.echo(migrate.current(settings).strip() or "(no revision: empty database)")


@app.command()
def history() -> None:
    """List every migration, marking the current one."""
    migrate, settings = _migrations()
    typer.echo(migrate.history(settings).rstrip())


@app.command()
def check() -> None:
    """Fail when the database schema and the models differ."""
    migrate, settings = _migrations()
    drift = migrate.check(settings)
    if drift is not None:
        typer.echo(f"schema differs from the models: {drift}", err=True)
        raise typer.Exit(1)
    typer.echo("database schema matches the models")
