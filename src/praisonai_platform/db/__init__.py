"""The database layer shared by the server, workers, CLI and admin UI. No web framework here."""

from praisonai_platform.db.base import Base
from praisonai_platform.db.engine import create_database_engine
from praisonai_platform.db.session import create_session_factory, session_scope
from praisonai_platform.db.state import get_engine, get_session, get_settings, init_db, reset_engine

__all__ = [
    "Base",
    "create_database_engine",
    "create_session_factory",
    "get_engine",
    "get_session",
    "get_settings",
    "init_db",
    "reset_engine",
    "session_scope",
]
