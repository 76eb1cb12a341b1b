"""A Flask-SQLAlchemy-style `db` object on the platform's own models, with no web framework.

Code written for Flask-SQLAlchemy (PlanExe's services, seed 002) keeps its shape:

    from praisonai_platform.db.compat import db

    db.init_app(app)                  # a Flask app, a Starlette/FastAPI app, or nothing
    with db.app_context():            # a worker: one session for the block
        run = Run.query.filter_by(state="pending").first()
        db.session.commit()

`db.Model` is the platform's declarative base, `Model.query` the classic query property and
`db.session` a *synchronous* session on the same database (through the migrations' sync URL),
scoped to the current request, `app_context()` block, or else thread and asyncio task. It is
removed, and whatever it did not commit rolled back, when the request or block ends. The async
API (`session_scope`, the services) works beside it in the same process.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, create_engine, orm
from sqlalchemy.engine import make_url

from praisonai_platform.config import Settings, load_settings
from praisonai_platform.core.errors import ConfigurationError
from praisonai_platform.db.base import Base
from praisonai_platform.db.sqlite import install_sqlite_discipline

# Set for the length of one request or `app_context()` block: every session lookup in it, in any
# thread it hands work to (Starlette copies the context into its thread pool), finds one session.
_scope_token: ContextVar[object | None] = ContextVar("platform_db_scope", default=None)

# Drivers people name in SQLALCHEMY_DATABASE_URI, mapped to the async driver the platform runs
# on (the sync session then uses the migrations' driver for the same database).
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}


def _scope_id() -> object:
    token = _scope_token.get()
    if token is not None:
        return token
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    return (threading.get_ident(), id(task) if task is not None else None)


class _QueryProperty:
    """`Model.query`: a legacy Query on the current `db.session`."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def __get__(self, instance: object, owner: type[Any]) -> orm.Query[Any]:
        return self._database.session.query(owner)


class Database:
    """The `db` object. Settings come from the environment (as for every other part of the
    platform) unless `configure(database_url)` or a Flask app's SQLALCHEMY_DATABASE_URI says
    otherwise."""

    Model = Base
    Column = sa.Column
    String = sa.String
    Text = sa.Text
    Integer = sa.Integer
    BigInteger = sa.BigInteger
    Float = sa.Float
    Numeric = sa.Numeric
    Boolean = sa.Boolean
    DateTime = sa.DateTime
    JSON = sa.JSON
    Enum = sa.Enum
    ForeignKey = sa.ForeignKey
    Index = sa.Index
    UniqueConstraint = sa.UniqueConstraint
    relationship = staticmethod(orm.relationship)
    select = staticmethod(sa.select)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._settings: Settings | None = None
        self._sessions = orm.scoped_session(
            orm.sessionmaker(expire_on_commit=False), scopefunc=_scope_id
        )

    # -- configuration ---------------------------------------------------------------------

    def configure(self, database_url: str | None = None) -> None:
        """Point `db` at a database (an async or sync URL); without one, at the environment's.
        Replaces an engine configured before."""
        settings = load_settings(database_url=_async_url(database_url)) if database_url else None
        with self._lock:
            self._dispose_locked()
            self._settings = settings

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._create_engine_locked()
                self._sessions.configure(bind=self._engine)
            return self._engine

    @property
    def session(self) -> orm.scoped_session[orm.Session]:
        """The session of the current request, `app_context()` block, or thread and task."""
        self.engine  # noqa: B018 - binds the sessions on first use
        return self._sessions

    def dispose(self) -> None:
        """Close every pooled connection (the next use opens new ones)."""
        with self._lock:
            self._dispose_locked()

    # -- lifecycle ---------------------------------------------------------------------------

    def init_app(self, app: Any = None) -> None:
        """Tie session clean-up to an application: a Flask app (its app-context teardown), a
        Starlette or FastAPI app (an ASGI middleware), or nothing (a worker, which wraps each
        job in `app_context()`). Neither framework is imported here."""
        if app is None:
            return
        uri = getattr(app, "config", {}).get("SQLALCHEMY_DATABASE_URI") if _is_flask(app) else None
        if uri:
            self.configure(str(uri))
        if _is_flask(app):
            app.teardown_appcontext(self._teardown)
        elif hasattr(app, "add_middleware"):
            app.add_middleware(SessionPerRequest, database=self)
        else:
            raise TypeError(
                "db.init_app takes a Flask or Starlette/FastAPI application; "
                "a worker uses `with db.app_context():` instead"
            )

    @contextmanager
    def app_context(self) -> Iterator[orm.Session]:
        """One session for the block: rolled back if the block raises, removed at its end."""
        reset = _scope_token.set(object())
        try:
            session = self.session()
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
        finally:
            self._sessions.remove()
            _scope_token.reset(reset)

    def create_all(self) -> None:
        """Make the database ready, as `init_db` does: a new database gets every table and the
        migration stamp; one the migrations manage is brought to their latest revision."""
        from praisonai_platform.db import migrate
        from praisonai_platform.db.schema import create_schema_and_stamp, current_revision

        with self.engine.begin() as connection:
            managed = current_revision(connection) is not None
            if not managed:
                create_schema_and_stamp(connection)
        if managed:
            migrate.upgrade(self.settings, "head")

    # -- internals ---------------------------------------------------------------------------

    def _teardown(self, _exception: BaseException | None = None) -> None:
        self._sessions.remove()

    @property
    def settings(self) -> Settings:
        """The database settings `db` works with."""
        return self._settings or load_settings()

    @property
    def session_factory(self) -> orm.sessionmaker[orm.Session]:
        """The factory behind `db.session` (for session events)."""
        return self._sessions.session_factory

    def _create_engine_locked(self) -> Engine:
        settings = self.settings
        if settings.is_memory_sqlite:
            raise ConfigurationError(
                "db.session needs a database file or server: the in-memory SQLite database "
                "lives inside the async engine. Set DATABASE_URL (or call db.configure(url))."
            )
        url = settings.resolved_alembic_database_url
        if settings.is_sqlite:
            engine = create_engine(
                url,
                echo=settings.database_echo,
                connect_args={"timeout": settings.database_sqlite_busy_timeout_ms / 1000},
            )
            install_sqlite_discipline(engine, settings)
            return engine
        return create_engine(
            url,
            echo=settings.database_echo,
            pool_pre_ping=settings.database_pool_pre_ping,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            connect_args={
                "connect_timeout": max(1, int(settings.database_connect_timeout_seconds))
            },
        )

    def _dispose_locked(self) -> None:
        self._sessions.remove()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class SessionPerRequest:
    """ASGI middleware: one `db.session` per request, removed (and rolled back if not committed)
    when the request ends, whatever thread the handler ran in."""

    def __init__(self, app: Any, database: Database) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        reset = _scope_token.set(object())
        try:
            await self.app(scope, receive, send)
        finally:
            self.database._sessions.remove()
            _scope_token.reset(reset)


def _is_flask(app: Any) -> bool:
    return hasattr(app, "teardown_appcontext") and hasattr(app, "config")


def _async_url(database_url: str) -> str:
    """The runtime (async) URL for a URL written for either kind of driver."""
    url = make_url(database_url.strip())
    driver = _ASYNC_DRIVERS.get(url.drivername)
    if driver is None:
        return database_url
    return url.set(drivername=driver).render_as_string(hide_password=False)


db = Database()

# `Model.query` on every model, the way Flask-SQLAlchemy's models have it.
Base.query = _QueryProperty(db)
