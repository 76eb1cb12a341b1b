"""Sessions for the admin UI on the process-wide engine, opened when a request needs one.

A page view (GET or HEAD) reads in a read-only transaction, like the API's reads: on a SQLite
file it then never waits for, nor holds, the one writer connection that the API's writes take
turns on.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from praisonai_platform.db.state import default_session_factory

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
_reading: ContextVar[bool] = ContextVar("admin_request_reads_only", default=False)


class ReadOnlyPageViews:
    """Marks a GET or HEAD request to the admin UI as one whose sessions only read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reads_only = scope["type"] == "http" and scope["method"] in READ_ONLY_METHODS
        token = _reading.set(reads_only)
        try:
            await self.app(scope, receive, send)
        finally:
            _reading.reset(token)


class CurrentEngineSessions:
    """What sqladmin expects of a session maker, resolved per call: the app is built before the
    engine exists (tests point it at their database later), and `reset_engine()` may replace it."""

    class_ = AsyncSession

    def __init__(self) -> None:
        self._options: dict[str, Any] = {}

    def configure(self, **options: Any) -> None:
        self._options.update(options)

    def __call__(self, **options: Any) -> AsyncSession:
        factory = default_session_factory(read_only=_reading.get())
        return factory(**{**self._options, **options})
