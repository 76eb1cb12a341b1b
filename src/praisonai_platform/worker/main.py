"""Running a worker until SIGTERM or SIGINT: what `praisonai-platform worker` does."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence

from praisonai_platform.config import load_settings
from praisonai_platform.db import get_engine, reset_engine
from praisonai_platform.webhooks import sender as webhook_sender
from praisonai_platform.webhooks.settings import load_webhook_settings
from praisonai_platform.worker import database
from praisonai_platform.worker.handlers import load_handler
from praisonai_platform.worker.logs import logger
from praisonai_platform.worker.loop import WorkerLoop


async def run_worker(
    handler_reference: str,
    *,
    concurrency: int = 1,
    agent_id: str | None = None,
    worker_id: str | None = None,
    name: str | None = None,
    workspace_ids: Sequence[str] = (),
) -> None:
    """Work until a signal: the first stops claiming and lets running handlers finish within
    the grace period; a second one releases their runs at once.

    Refuses to start (ConfigurationError naming the database) on a database that is missing or
    has no schema: the server's migrations make it, not the worker."""
    settings = load_settings()
    webhook_settings = load_webhook_settings()
    where = database.describe(settings.resolved_database_url)
    logger.info("worker starting on %s", where, extra={"event": "starting", "database": where})
    database.check_exists(settings)  # before connecting, which would create an empty file
    worker = WorkerLoop(
        load_handler(handler_reference),
        concurrency=concurrency,
        agent_id=agent_id,
        worker_id=worker_id,
        name=name,
        workspace_ids=workspace_ids,
    )
    try:
        await database.check_schema(get_engine())
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, worker.request_shutdown)
        # Workers send outgoing webhooks too (one sender per delivery across every process).
        webhooks = webhook_sender.start(webhook_settings)
        try:
            await worker.run()
        finally:
            if webhooks is not None:
                await webhooks.stop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
    finally:
        await reset_engine()
