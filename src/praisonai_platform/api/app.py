"""The FastAPI application: construction, start-up and the liveness/readiness probes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from praisonai_platform import __version__
from praisonai_platform.accounts import passwords
from praisonai_platform.accounts.oauth.settings import load_oauth_config
from praisonai_platform.api.admin import install_admin
from praisonai_platform.api.admin.settings import load_admin_settings
from praisonai_platform.api.errors import install_error_handlers
from praisonai_platform.api.limits import RequestGuard
from praisonai_platform.api.router import api_router
from praisonai_platform.billing.settings import load_billing_settings
from praisonai_platform.core.server_settings import ServerSettings, load_server_settings
from praisonai_platform.db import get_engine, get_settings, reset_engine
from praisonai_platform.db.migrate import run_migrations_if_enabled
from praisonai_platform.runs.settings import load_run_settings

logger = logging.getLogger("praisonai_platform")

MEMORY_WARNING = (
    "Using the in-memory SQLite database: everything is lost when the server stops. "
    "Set DATABASE_URL (e.g. sqlite+aiosqlite:///./data/platform.db) to keep data."
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    server_settings: ServerSettings = app.state.server_settings
    server_settings.signing_secret()  # refuse to start without a usable secret
    get_engine()
    settings = get_settings()
    if settings.is_memory_sqlite:
        logger.warning(MEMORY_WARNING)
    elif await asyncio.to_thread(run_migrations_if_enabled, settings):
        logger.info("database migrated to the latest revision")
    await asyncio.to_thread(passwords.warm_up)
    yield
    await reset_engine()


def create_app(server_settings: ServerSettings | None = None) -> FastAPI:
    """The application, with every setting read once, here: a bad value stops the start (rather
    than failing a request later), and the routes read them from `app.state`."""
    settings = server_settings or load_server_settings()
    app = FastAPI(
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
    install_error_handlers(app)
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    app.include_router(api_router)
    install_admin(app)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", tags=["health"], responses={503: {"description": "database unreachable"}})
    async def ready() -> JSONResponse:
        """Readiness: the database answers."""
        try:
            async with get_engine().connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            logger.exception("readiness check failed")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app
