"""`praisonai-platform serve`: run the API server."""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from praisonai_platform.config import Settings
    from praisonai_platform.core.server_settings import ServerSettings

PROGRAM = "praisonai-platform"
# How long to wait for the server to answer before giving up on printing where to go next.
READY_TIMEOUT_SECONDS = 120.0


def serve(
    host: str | None = typer.Option(
        None, help="Interface to bind; default PLATFORM_HOST or 127.0.0.1."
    ),
    port: int | None = typer.Option(None, help="Port to bind; default PLATFORM_PORT or 8000."),
    database_url: str | None = typer.Option(None, help="Database URL; overrides DATABASE_URL."),
    workers: int = typer.Option(1, min=1, help="Server processes (needs a shared database)."),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        help="Comma-separated addresses or networks of the proxies whose X-Forwarded-For is "
        "believed ('*': every peer); default FORWARDED_ALLOW_IPS or 127.0.0.1. Rate limits "
        "count per client address, which only these proxies can set.",
    ),
    proxy_headers: bool = typer.Option(
        True, help="Take the client address from trusted proxies' X-Forwarded-For."
    ),
) -> None:
    """Start the REST API server."""
    import uvicorn

    from praisonai_platform.config import load_settings
    from praisonai_platform.core.operations_settings import load_operations_settings
    from praisonai_platform.core.server_settings import load_serve_settings, load_server_settings

    if database_url:
        os.environ["DATABASE_URL"] = database_url
        os.environ.pop("APP_DATABASE_URL", None)
    settings = load_settings()
    settings.resolved_database_url  # noqa: B018  (fail now, with a clear message, if unusable)
    listen = load_serve_settings()
    server_settings = load_server_settings()
    operations = load_operations_settings()
    if workers > 1 and settings.is_memory_sqlite:
        raise typer.BadParameter(
            "several workers need a database file or PostgreSQL", param_hint="--workers"
        )
    if (
        settings.run_db_migrations
        and not settings.is_memory_sqlite
        and (workers > 1 or not settings.is_sqlite)
    ):
        from praisonai_platform.db.migrate import upgrade

        # Once, before the workers race to do it; on PostgreSQL also before the signing secret
        # is read from the database.
        upgrade(settings, "head")
        os.environ["RUN_DB_MIGRATIONS"] = "false"
    # Exported before the workers start, so that every one of them signs with the same secret.
    os.environ["PLATFORM_JWT_SECRET"] = _signing_secret(server_settings, settings)
    bound_host, bound_port = host or listen.host, port or listen.port
    # Printed from this process, once, whatever the number of workers.
    threading.Thread(
        target=_announce_when_ready,
        args=(bound_host, bound_port, settings.resolved_database_url),
        name="ready-banner",
        daemon=True,
    ).start()
    uvicorn.run(
        "praisonai_platform.api.app:create_app",
        factory=True,
        host=bound_host,
        port=bound_port,
        workers=workers,
        log_level=listen.log_level,
        loop="uvloop",
        http="httptools",
        # On SIGTERM, requests in progress get this long to finish (see api/shutdown.py).
        timeout_graceful_shutdown=operations.shutdown_timeout_seconds,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
    )


def _signing_secret(server_settings: ServerSettings, settings: Settings) -> str:
    """PLATFORM_JWT_SECRET; else the one kept beside a SQLite file, or in a PostgreSQL database;
    else (in memory, or a database not migrated yet) a random one."""
    from praisonai_platform.config import sqlite_file_path
    from praisonai_platform.core.server_settings import persistent_secret, secret_file_for

    if server_settings.env == "production":
        return server_settings.signing_secret()  # without a strong secret, production stops here
    if server_settings.jwt_secret:
        return server_settings.jwt_secret
    database_file = sqlite_file_path(settings.resolved_database_url)
    if database_file is not None:
        return persistent_secret(secret_file_for(database_file))
    if not settings.is_sqlite:
        from praisonai_platform.config import derive_alembic_database_url
        from praisonai_platform.db.server_secrets import NoSecretTable, database_secret

        try:
            return database_secret(
                derive_alembic_database_url(settings.resolved_database_url), "jwt_signing"
            )
        except NoSecretTable:
            reason = "the database is not migrated (run `praisonai-platform db upgrade`)"
    else:
        reason = "the in-memory database keeps nothing"
    typer.echo(
        f"warning: PLATFORM_JWT_SECRET is not set and {reason}; using a random secret, so "
        "sign-ins end when the server stops",
        err=True,
    )
    return secrets.token_urlsafe(48)


def _announce_when_ready(host: str, port: int, database_url: str) -> None:
    import httpx

    base = f"http://{_reachable(host)}:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    with httpx.Client(base_url=base, timeout=2, follow_redirects=False) as client:
        while time.monotonic() < deadline:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            return
        try:
            pages = [
                (label, path)
                for label, path in (("API docs", "/docs"), ("Admin UI", "/admin"), ("Web app", "/"))
                if client.get(path).status_code != 404
            ]
        except httpx.HTTPError:
            return
    typer.echo(ready_banner(base, pages, database_url))


def ready_banner(base: str, pages: list[tuple[str, str]], database_url: str) -> str:
    lines = [f"praisonai-platform is ready at {base}"]
    lines += [f"  {label + ':':<10} {base}{path}" for label, path in pages]
    lines += ["Create an administrator (from this directory, in another terminal):"]
    lines += [f"  {admin_command(database_url)}"]
    return "\n".join(lines)


def admin_command(database_url: str) -> str:
    """The command that creates an administrator in this server's database."""
    from sqlalchemy.engine import make_url

    shown = make_url(database_url).render_as_string(hide_password=True)
    return (
        f"DATABASE_URL={shlex.quote(shown)} {_program()} user create "
        "--email admin@example.com --admin"
    )


def _program() -> str:
    """How to run this command again: its name if that is on PATH, else the path it ran by."""
    invoked = Path(sys.argv[0])
    if invoked.stem != PROGRAM:
        return f"{shlex.quote(sys.executable)} -m praisonai_platform"
    found = shutil.which(PROGRAM)
    if found and Path(found).resolve() == invoked.resolve():
        return PROGRAM
    return shlex.quote(str(invoked))


def _reachable(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
