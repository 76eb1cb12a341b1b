"""`praisonai-platform db …`: the schema's migrations on the configured database."""

from __future__ import annotations

import typer

from praisonai_platform.config import load_settings
from praisonai_platform.db import migrate

app = typer.Typer(help="Apply and inspect database migrations.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    migrate.upgrade(load_settings(), revision)
    typer.echo(f"upgraded to {revision}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base'.")) -> None:
    """Revert migrations down to REVISION."""
    migrate.downgrade(load_settings(), revision)
    typer.echo(f"downgraded to {revision}")


@app.command()
def current() -> None:
    """Show the revision the database is at."""
    typer.echo(migrate.current(load_settings()).strip() or "(no revision: empty database)")


@app.command()
def history() -> None:
    """List every migration, marking the current one."""
    typer.echo(migrate.history(load_settings()).rstrip())


@app.command()
def check() -> None:
    """Fail when the database schema and the models differ."""
    drift = migrate.check(load_settings())
    if drift is not None:
        typer.echo(f"schema differs from the models: {drift}", err=True)
        raise typer.Exit(1)
    typer.echo("database schema matches the models")
