"""The root command: sub-command groups are attached here, errors become one-line messages."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from praisonai_platform import __version__
from praisonai_platform.cli import (
    account_commands,
    agent_commands,
    api_key_commands,
    credits_commands,
    db_commands,
    demo_commands,
    events_commands,
    invitation_commands,
    issue_commands,
    ops_commands,
    project_commands,
    run_commands,
    user_commands,
    webhook_commands,
    workspace_commands,
)
from praisonai_platform.cli.mcp_command import mcp
from praisonai_platform.cli.options import PlainHelpGroup
from praisonai_platform.cli.output import CliError, print_error
from praisonai_platform.cli.search_command import search
from praisonai_platform.cli.serve_command import serve
from praisonai_platform.client import AuthenticationError, ConnectionFailed, PlatformError
from praisonai_platform.core.errors import ConfigurationError

app = typer.Typer(
    name="praisonai-platform",
    cls=PlainHelpGroup,
    help="Work tracking for teams of people and AI agents. Without a command: serve.",
    pretty_exceptions_enable=False,
    add_completion=False,
    invoke_without_command=True,
)
app.add_typer(db_commands.app, name="db")
db_commands.app.command()(ops_commands.purge)
app.command()(ops_commands.backup)
app.command()(ops_commands.restore)
app.add_typer(user_commands.app, name="user")
app.add_typer(credits_commands.app, name="credits")
app.command()(serve)
app.add_typer(run_commands.worker_app, name="worker")
app.command()(account_commands.login)
app.command()(account_commands.register)
app.command()(account_commands.logout)
app.command()(account_commands.whoami)
app.command()(account_commands.password)
app.command("reset-password")(account_commands.reset_password)
app.command("verify-email")(account_commands.verify_email)
app.command("resend-verification")(account_commands.resend_verification)
app.add_typer(workspace_commands.app, name="workspace")
app.add_typer(invitation_commands.app, name="invitation")
app.add_typer(issue_commands.app, name="issue")
app.add_typer(agent_commands.app, name="agent")
app.add_typer(project_commands.app, name="project")
app.add_typer(api_key_commands.app, name="api-key")
app.add_typer(run_commands.app, name="run")
app.add_typer(demo_commands.app, name="demo")
app.add_typer(events_commands.app, name="events")
app.add_typer(webhook_commands.app, name="webhooks")
app.command()(search)
app.command()(mcp)

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
        error_console.print(
            f"[red]configuration error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
    except PlatformError as exc:
        print_error(_client_error_message(exc))
        sys.exit(1)
    except CliError as exc:
        print_error(exc.message)
        sys.exit(exc.exit_code)
    except Exception as exc:
        # SQLAlchemy is recognised by name: importing it here would slow every command's start.
        if not type(exc).__module__.startswith("sqlalchemy"):
            raise
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        error_console.print(
            f"[red]database error:[/red] {escape(reason)}", highlight=False, soft_wrap=True
        )
        sys.exit(1)


def _client_error_message(exc: PlatformError) -> str:
    """The server's message, with what to do next where that is clear."""
    if isinstance(exc, AuthenticationError) and exc.code != "invalid_credentials":
        return f"{exc.message} (run `praisonai-platform login`)"
    if isinstance(exc, ConnectionFailed):
        return f"{exc.message} (is the server running? `praisonai-platform serve` starts one)"
    return exc.message
