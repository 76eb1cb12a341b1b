"""The FastAPI application: construction, start-up and the liveness/readiness probes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import text

from praisonai_platform import __version__
from praisonai_platform.accounts import passwords
from praisonai_platform.accounts.mail import build_mailer
from praisonai_platform.accounts.oauth.settings import load_oauth_config
from praisonai_platform.accounts.settings import load_account_settings
from praisonai_platform.api.admin import install_admin
from praisonai_platform.api.admin.settings import load_admin_settings
from praisonai_platform.api.compat import install_dialect
from praisonai_platform.api.errors import install_error_handlers
from praisonai_platform.api.http_settings import load_http_settings
from praisonai_platform.api.limits import RequestGuard
from praisonai_platform.api.rate_limits import RateLimitMiddleware, load_rate_limit_settings
from praisonai_platform.api.router import api_router
from praisonai_platform.api.security_headers import (
    DOCS_ASSETS_URL,
    DOCS_URL,
    REDOC_URL,
    install_security_headers,
)
from praisonai_platform.api.shutdown import draining_on_signals
from praisonai_platform.billing.settings import load_billing_settings
from praisonai_platform.core.operations_settings import (
    OperationsSettings,
    load_operations_settings,
)
from praisonai_platform.core.server_settings import ServerSettings, load_server_settings
from praisonai_platform.db import get_engine, get_settings, reset_engine
from praisonai_platform.db.engine import read_only_engine
from praisonai_platform.db.migrate import run_migrations_if_enabled
from praisonai_platform.db.purge import purge_periodically
from praisonai_platform.db.state import default_session_factory
from praisonai_platform.events import broker as event_broker
from praisonai_platform.mcp_server.http import PATH as MCP_PATH
from praisonai_platform.mcp_server.http import McpEndpoint, endpoint_running
from praisonai_platform.runs.settings import load_run_settings
from praisonai_platform.web.app import install_web
from praisonai_platform.webhooks import sender as webhook_sender
from praisonai_platform.webhooks.settings import load_webhook_settings
from praisonai_platform.workspaces.members.settings import (
    direct_membership_allowed,
    load_membership_settings,
)

logger = logging.getLogger("praisonai_platform")

MEMORY_WARNING = (
    "Using the in-memory SQLite database: everything is lost when the server stops. "
    "Set DATABASE_URL (e.g. sqlite+aiosqlite:///./data/platform.db) to keep data."
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    server_settings: ServerSettings = app.state.server_settings
    server_settings.signing_secret()  # refuse to start without a usable secret
    # Seed 001 keeps the engine and its session factory on app.state (see get_session_factory).
    app.state.engine = get_engine()
    app.state.session_factory = default_session_factory()
    settings = get_settings()
    if settings.is_memory_sqlite:
        logger.warning(MEMORY_WARNING)
    elif await asyncio.to_thread(run_migrations_if_enabled, settings):
        logger.info("database migrated to the latest revision")
    await asyncio.to_thread(passwords.warm_up)
    operations: OperationsSettings = app.state.operations_settings
    purger = None
    if operations.purge_interval_seconds > 0:
        purger = asyncio.create_task(
            purge_periodically(operations.purge_interval_seconds, app.state.session_factory),
            name="purge",
        )
    # Sends outgoing webhooks (one sender per delivery across every process).
    webhooks = webhook_sender.start(app.state.webhook_settings, app.state.session_factory)
    app.state.draining = False
    try:
        with draining_on_signals(
            app.state, operations.shutdown_drain_seconds, asyncio.get_running_loop()
        ):
            async with endpoint_running(app.state):  # the MCP server at /mcp
                yield
    finally:
        app.state.draining = True
        if purger is not None:
            purger.cancel()
            await asyncio.gather(purger, return_exceptions=True)
        if webhooks is not None:
            await webhooks.stop()
        await event_broker.shutdown()  # open event streams end
        app.state.engine = app.state.session_factory = None
        await reset_engine()


def create_app(server_settings: ServerSettings | None = None) -> FastAPI:
    """The application, with every setting read once, here: a bad value stops the start (rather
    than failing a request later), and the routes read them from `app.state`."""
    settings = server_settings or load_server_settings()
    # /docs and /redoc with Swagger UI and ReDoc served from the installed package, never a CDN.
    app = FastAPIOffline(
        docs_url=DOCS_URL,
        redoc_url=REDOC_URL,
        static_url=DOCS_ASSETS_URL,
        title="praisonai-platform",
        version=__version__,
        description="Work tracking for teams of people and AI agents.",
        lifespan=lifespan,
    )
    app.state.server_settings = settings
    app.state.oauth_config = load_oauth_config()
    app.state.billing_settings = load_billing_settings()
    app.state.run_settings = load_run_settings()
    app.state.admin_settings = load_admin_settings()
    app.state.account_settings = load_account_settings()
    app.state.mailer = build_mailer(app.state.account_settings)
    app.state.rate_limit_settings = load_rate_limit_settings()
    app.state.membership_settings = load_membership_settings()
    # The one switch for adding members by user_id; an API dialect that did so may set it True.
    app.state.direct_membership = direct_membership_allowed(
        app.state.membership_settings, settings.api_compat
    )
    app.state.operations_settings = load_operations_settings()
    app.state.webhook_settings = load_webhook_settings()
    app.state.draining = False
    install_error_handlers(app)
    install_dialect(app, settings)
    # Inside the request guard, which bounds the bodies this reads on the sign-in paths.
    app.add_middleware(RateLimitMiddleware)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    # CORS (when configured) outside the guards; the security headers outside everything.
    app.state.http_settings = http_settings = load_http_settings()
    install_security_headers(app, http_settings, app.state.oauth_config.options.public_url)
    app.include_router(api_router)
    app.state.mcp = McpEndpoint()
    app.add_route(MCP_PATH, app.state.mcp, include_in_schema=False)
    install_admin(app)
    install_web(app)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get(
        "/ready",
        tags=["health"],
        responses={503: {"description": "shutting down, or database unreachable"}},
    )
    async def ready() -> JSONResponse:
        """Readiness: the server is not stopping and the database answers."""
        if app.state.draining:
            return JSONResponse({"status": "shutting_down"}, 503)
        try:
            # A reader: the check must not queue behind writers for the write lock.
            async with read_only_engine(get_engine()).connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            logger.exception("readiness check failed")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app
