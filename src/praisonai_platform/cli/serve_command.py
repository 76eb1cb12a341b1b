"""`praisonai-platform serve`: run the API server."""

from __future__ import annotations

import os
import secrets

import typer


def serve(
    host: str | None = typer.Option(
        None, help="Interface to bind; default PLATFORM_HOST or 127.0.0.1."
    ),
    port: int | None = typer.Option(None, help="Port to bind; default PLATFORM_PORT or 8000."),
    database_url: str | None = typer.Option(None, help="Database URL; overrides DATABASE_URL."),
    workers: int = typer.Option(1, min=1, help="Server processes (needs a shared database)."),
) -> None:
    """Start the REST API server."""
    import uvicorn

    from praisonai_platform.config import load_settings
    from praisonai_platform.core.server_settings import load_serve_settings, load_server_settings

    if database_url:
        os.environ["DATABASE_URL"] = database_url
        os.environ.pop("APP_DATABASE_URL", None)
    settings = load_settings()
    settings.resolved_database_url  # noqa: B018  (fail now, with a clear message, if unusable)
    listen = load_serve_settings()
    server_settings = load_server_settings()
    if server_settings.env == "production":
        server_settings.signing_secret()  # without a strong secret, production stops here
    elif not server_settings.jwt_secret:
        # One random secret for every worker process, so a token from one is valid at all.
        typer.echo(
            "warning: PLATFORM_JWT_SECRET is not set; using a random secret, so sign-ins end "
            "when the server stops",
            err=True,
        )
        os.environ["PLATFORM_JWT_SECRET"] = secrets.token_urlsafe(48)
    if workers > 1 and settings.is_memory_sqlite:
        raise typer.BadParameter(
            "several workers need a database file or PostgreSQL", param_hint="--workers"
        )
    if settings.run_db_migrations and not settings.is_memory_sqlite and workers > 1:
        from praisonai_platform.db.migrate import upgrade

        upgrade(settings, "head")  # once, before the workers race to do it
        os.environ["RUN_DB_MIGRATIONS"] = "false"
    uvicorn.run(
        "praisonai_platform.api.app:create_app",
        factory=True,
        host=host or listen.host,
        port=port or listen.port,
        workers=workers,
        log_level=listen.log_level,
        loop="uvloop",
        http="httptools",
    )
