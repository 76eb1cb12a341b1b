"""The FastAPI application: construction, start-up and the liveness/readiness probes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from praisonai_platform import __version__
from praisonai_platform.db import get_engine, get_settings, reset_engine
from praisonai_platform.db.migrate import run_migrations_if_enabled

logger = logging.getLogger("praisonai_platform")

MEMORY_WARNING = (
    "Using the in-memory SQLite database: everything is lost when the server stops. "
    "Set DATABASE_URL (e.g. sqlite+aiosqlite:///./data/platform.db) to keep data."
)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    get_engine()
    settings = get_settings()
    if settings.is_memory_sqlite:
        logger.warning(MEMORY_WARNING)
    elif run_migrations_if_enabled(settings):
        logger.info("database migrated to the latest revision")
    yield
    await reset_engine()


def create_app() -> FastAPI:
    app = FastAPI(title="praisonai-platform", version=__version__, lifespan=lifespan)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", tags=["health"])
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
