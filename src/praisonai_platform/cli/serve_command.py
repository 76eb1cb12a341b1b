"""`praisonai-platform serve`: run the API server."""

from __future__ import annotations

import os

import typer


def serve(
    host: str = typer.Option(None, help="Interface to bind; default PLATFORM_HOST or 127.0.0.1."),
    port: int = typer.Option(None, help="Port to bind; default PLATFORM_PORT or 8000."),
    database_url: str = typer.Option(None, help="Database URL; overrides DATABASE_URL."),
    workers: int = typer.Option(1, min=1, help="Server processes (needs a shared database)."),
) -> None:
    """Start the REST API server."""
    import uvicorn

    from praisonai_platform.config import load_settings

    if database_url:
        os.environ["DATABASE_URL"] = database_url
        os.environ.pop("APP_DATABASE_URL", None)
    settings = load_settings()
    settings.resolved_database_url  # noqa: B018  (fail now, with a clear message, if unusable)
    if workers > 1 and settings.is_memory_sqlite:
        raise typer.BadParameter("several workers need a database file or PostgreSQL", "--workers")
    uvicorn.run(
        "praisonai_platform.api.app:create_app",
        factory=True,
        host=host or os.environ.get("PLATFORM_HOST", "127.0.0.1"),
        port=port or int(os.environ.get("PLATFORM_PORT", "8000")),
        workers=workers,
        log_level="info",
    )
