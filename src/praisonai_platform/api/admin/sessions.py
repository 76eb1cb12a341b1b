"""Sessions for the admin UI on the process-wide engine, opened when a request needs one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.db.state import default_session_factory


class CurrentEngineSessions:
    """What sqladmin expects of a session maker, resolved per call: the app is built before the
    engine exists (tests point it at their database later), and `reset_engine()` may replace it."""

    class_ = AsyncSession

    def __init__(self) -> None:
        self._options: dict[str, Any] = {}

    def configure(self, **options: Any) -> None:
        self._options.update(options)

    def __call__(self, **options: Any) -> AsyncSession:
        return default_session_factory()(**{**self._options, **options})
