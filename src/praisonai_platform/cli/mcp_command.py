"""`praisonai-platform mcp`: the MCP server over stdio, for an agent on this machine."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from praisonai_platform.cli.options import WorkspaceOption
from praisonai_platform.cli.output import CliError, CliUsageError

if TYPE_CHECKING:
    from praisonai_platform.mcp_server.calls import McpConfig


def mcp(
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            envvar="PLATFORM_API_KEY",
            help="The API key (ppk_…) every tool acts with: as its user, or as its agent for an "
            "agent's key.",
            show_default=False,
        ),
    ] = None,
    workspace: WorkspaceOption = None,
    database_url: Annotated[
        str | None, typer.Option(help="Database URL; overrides DATABASE_URL.")
    ] = None,
) -> None:
    """Serve the MCP server on standard input and output (for Claude Code, Cursor or any MCP
    client). It works on the server's database directly: set DATABASE_URL as for `serve`."""
    import anyio

    from praisonai_platform.accounts.settings import load_account_settings
    from praisonai_platform.billing.settings import load_billing_settings
    from praisonai_platform.config import load_settings
    from praisonai_platform.db.migrate import run_migrations_if_enabled
    from praisonai_platform.mcp_server.calls import McpConfig as Config
    from praisonai_platform.runs.settings import load_run_settings

    if not api_key:
        raise CliUsageError("give an API key: --api-key or PLATFORM_API_KEY")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        os.environ.pop("APP_DATABASE_URL", None)
    settings = load_settings()
    if settings.is_memory_sqlite:
        raise typer.BadParameter(
            "the MCP server works on the server's database: set DATABASE_URL to its SQLite "
            "file or PostgreSQL (an in-memory database lives inside one process)",
            param_hint="--database-url",
        )
    run_migrations_if_enabled(settings)
    config = Config(
        run_settings=load_run_settings(),
        billing_settings=load_billing_settings(),
        account_settings=load_account_settings(),
        api_key=api_key.strip(),
        default_workspace=workspace,
    )
    anyio.run(_serve, config)


async def _serve(config: McpConfig) -> None:
    from praisonai_platform.accounts.api_keys import service as api_keys
    from praisonai_platform.core.errors import Unauthenticated
    from praisonai_platform.db import reset_engine, session_scope
    from praisonai_platform.mcp_server.server import build_server

    try:
        assert config.api_key is not None
        if not api_keys.looks_like_key(config.api_key):
            raise CliError("that is not an API key: they start with ppk_")
        try:
            async with session_scope(read_only=True) as session:
                await api_keys.authenticate(session, config.api_key)
        except Unauthenticated as exc:
            raise CliError(exc.detail) from None
        await build_server(config).run_stdio_async()
    finally:
        await reset_engine()
