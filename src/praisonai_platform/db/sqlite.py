"""SQLite connection discipline: pragmas on every connection and explicit transaction starts.

Python's sqlite3 starts transactions lazily and implicitly, which lets two read-modify-write
transactions both read before either writes (lost updates), or fail with "database is locked" when
a deferred reader tries to upgrade to a writer. With the driver's own handling switched off, every
transaction here starts with `BEGIN IMMEDIATE`, taking the write lock up front, so writers queue on
busy_timeout. Connections marked read-only start a deferred `BEGIN` and never block writers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from praisonai_platform.config import Settings

READ_ONLY_OPTION = "platform_read_only"


def sqlite_pragmas(settings: Settings) -> dict[str, str | int]:
    """The pragmas every SQLite connection gets, in the order they are applied."""
    pragmas: dict[str, str | int] = {
        "busy_timeout": settings.database_sqlite_busy_timeout_ms,
        "foreign_keys": "ON" if settings.database_sqlite_foreign_keys else "OFF",
        "journal_mode": settings.database_sqlite_journal_mode,
        "synchronous": settings.database_sqlite_synchronous,
        "cache_size": settings.database_sqlite_cache_size,
        "temp_store": settings.database_sqlite_temp_store,
    }
    if settings.database_sqlite_mmap_size:
        pragmas["mmap_size"] = settings.database_sqlite_mmap_size
    return pragmas


def install_sqlite_discipline(
    sync_engine: Engine,
    settings: Settings,
    *,
    in_memory: bool = False,
    busy_timeout_ms: int | None = None,
) -> None:
    """Register the connect and begin listeners on a (sync or async's sync) SQLite engine.

    `busy_timeout_ms` overrides the setting's busy timeout (the inline writer waits in asyncio,
    never in SQLite's busy handler)."""
    pragmas = sqlite_pragmas(settings)
    if busy_timeout_ms is not None:
        pragmas["busy_timeout"] = busy_timeout_ms
    if in_memory:
        pragmas.pop("journal_mode")  # an in-memory database has no journal file

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for name, value in pragmas.items():
                cursor.execute(f"PRAGMA {name} = {value}")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
