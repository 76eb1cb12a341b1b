"""The root command: sub-command groups are attached here, errors become one-line messages."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from sqlalchemy.exc import SQLAlchemyError

from praisonai_platform import __version__
from praisonai_platform.cli import db_commands
from praisonai_platform.cli.serve_command import serve
from praisonai_platform.config import ConfigurationError

app = typer.Typer(
    name="praisonai-platform",
    help="Work tracking for teams of people and AI agents. Without a command: serve.",
    pretty_exceptions_enable=False,
    add_completion=False,
    invoke_without_command=True,
)
app.add_typer(db_commands.app, name="db")
app.command()(serve)

error_console = Console(stderr=True)


@app.callback()
def root(context: typer.Context) -> None:
    if context.invoked_subcommand is None:
        serve(host=None, port=None, database_url=None, workers=1)


@app.command()
def version() -> None:
    """Print the installed version."""
    typer.echo(__version__)


def main() -> None:
    """Entry point of the console script and `python -m praisonai_platform`."""
    try:
        app()
    except ConfigurationError as exc:
        error_console.print(f"[red]configuration error:[/red] {exc}", highlight=False)
        sys.exit(2)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        error_console.print(f"[red]database error:[/red] {reason}", highlight=False)
        sys.exit(1)
