"""Request-scoped dependencies: the database session, the settings and the caller."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.accounts import service as users
from praisonai_platform.accounts import tokens
from praisonai_platform.accounts.api_keys import service as api_keys
from praisonai_platform.accounts.settings import AccountSettings, load_account_settings
from praisonai_platform.billing.settings import BillingSettings, load_billing_settings
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Forbidden, Unauthenticated
from praisonai_platform.core.server_settings import ServerSettings, load_server_settings
from praisonai_platform.db import create_session_factory, session_scope
from praisonai_platform.db.state import default_session_factory

logger = logging.getLogger(__name__)


_READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def reads_only(request: Request) -> bool:
    """GET and HEAD change nothing: they run in a read-only transaction (a deferred BEGIN on
    SQLite, READ ONLY on PostgreSQL), so reads never queue behind writers for SQLite's write
    lock. The few GET routes that do change something ask for a `WriteSession`."""
    return request.method in _READ_ONLY_METHODS


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield a session for one request: committed if the handler succeeds, else rolled back.
    GET and HEAD requests get a read-only session (see `reads_only`)."""
    read_only = reads_only(request)
    async with session_scope(read_only=read_only) as session:
        yield session
    if read_only:
        await _write_after_reading(request)


async def get_write_db() -> AsyncIterator[AsyncSession]:
    """Yield a writing session whatever the method: for a GET that changes something."""
    async with session_scope() as session:
        yield session


# Function scope runs get_db's commit before the response is sent, so a write that fails to commit
# is never acknowledged. (FastAPI's default request scope commits after the client has its answer.)
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(get_write_db, scope="function")]
"""For the GET routes that change something (a sign-in link, an OAuth redirect): a writing
session, as if the method were POST."""

Bookkeeping = Callable[[AsyncSession], Awaitable[None]]


def write_after_reading(request: Request, work: Bookkeeping) -> None:
    """Have `work` (bookkeeping such as an API key's last use) written once the request's read-only
    transaction has ended, in a short write transaction of its own."""
    pending: list[Bookkeeping] | None = getattr(request.state, "bookkeeping", None)
    if pending is None:
        pending = request.state.bookkeeping = []
    pending.append(work)


async def _write_after_reading(request: Request) -> None:
    pending: list[Bookkeeping] | None = getattr(request.state, "bookkeeping", None)
    if not pending:
        return
    request.state.bookkeeping = []
    try:
        async with session_scope() as session:
            for work in pending:
                await work(session)
    except SQLAlchemyError:
        # Bookkeeping only: the reader has its answer, and a busy database must not turn it
        # into an error.
        logger.warning("could not record bookkeeping after a read", exc_info=True)


def get_session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    """Seed 001's dependency: the session factory the application keeps on `app.state` from its
    start, or the process-wide one (an application used without its lifespan, as in tests)."""
    factory: async_sessionmaker[AsyncSession] | None = getattr(
        request.app.state, "session_factory", None
    )
    return factory if factory is not None else default_session_factory()


def _read_only_factory(
    request: Request, factory: async_sessionmaker[AsyncSession]
) -> async_sessionmaker[AsyncSession]:
    """The read-only twin of `factory` on the same engine, made once per application."""
    state: Any = request.app.state
    cached: tuple[object, async_sessionmaker[AsyncSession]] | None = getattr(
        state, "read_only_session_factory", None
    )
    if cached is not None and cached[0] is factory:
        return cached[1]
    if factory is default_session_factory():
        twin = default_session_factory(read_only=True)
    else:
        twin = create_session_factory(factory.kw["bind"], read_only=True)
    state.read_only_session_factory = (factory, twin)
    return twin


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    factory = get_session_factory(request)
    if reads_only(request):
        async with session_scope(_read_only_factory(request, factory), read_only=True) as session:
            yield session
        return
    async with session_scope(factory) as session:
        yield session


async def get_db_session(
    session: Annotated[AsyncSession, Depends(_request_session, scope="function")],
) -> AsyncSession:
    """Seed 001's request-scoped session, for `Depends(get_db_session)`: like `get_db`, committed
    before the response is sent when the handler succeeds, rolled back when it raises, and
    read-only for GET and HEAD."""
    return session


T = TypeVar("T")


def app_setting(request: Request, name: str, loader: Callable[[], T]) -> T:
    """`app.state.<name>`, read by create_app; an application built without it reads it on
    first use and keeps it, so settings are never read again per request."""
    state: Any = request.app.state
    value: T | None = getattr(state, name, None)
    if value is None:
        value = loader()
        setattr(state, name, value)
    return value


async def get_server_settings(request: Request) -> ServerSettings:
    # async: FastAPI would run a plain function on a worker thread, a hand-off per request.
    return app_setting(request, "server_settings", load_server_settings)


async def get_billing_settings(request: Request) -> BillingSettings:
    return app_setting(request, "billing_settings", load_billing_settings)


ServerConfig = Annotated[ServerSettings, Depends(get_server_settings)]
BillingConfig = Annotated[BillingSettings, Depends(get_billing_settings)]

_bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <token or API key>`: a token from /api/v1/auth/login, "
    "or an API key (ppk_…).",
)
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key (ppk_…) from /api/v1/api-keys."
)


async def current_actor(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Actor:
    """Who is calling: a signed-in user (token) or an API key's user or agent. A token counts
    only while its version is the user's (logout and password changes move it on).

    On a workspace's route the caller's membership there is read in the same statement as the
    credential (`Actor.membership`), so the permission check needs no query of its own."""
    credential = api_key or (credentials.credentials if credentials else None)
    if not credential:
        raise Unauthenticated("sign in first: send Authorization: Bearer <token>")
    workspace_id = request.path_params.get("workspace_id")
    if not isinstance(workspace_id, str):
        workspace_id = None
    if api_keys.looks_like_key(credential):
        use = await api_keys.authenticate(session, credential, workspace_id)
        if use.record:
            await _record_key_use(request, session, use)
        actor = use.actor
    else:
        # Read here rather than as a dependency of its own: one resolution less per request.
        settings = app_setting(request, "server_settings", load_server_settings)
        claims = tokens.read(settings, credential)
        if workspace_id is None:
            actor = Actor.for_user(
                await users.active_user(session, claims.user_id, claims.token_version)
            )
        else:
            user, membership = await users.active_user_in(
                session, claims.user_id, claims.token_version, workspace_id
            )
            actor = Actor.for_user(user, membership)
    _check_unverified(request, actor)
    return actor


async def _record_key_use(request: Request, session: AsyncSession, use: api_keys.KeyUse) -> None:
    """In a writing request's own transaction; after a read-only one has ended otherwise."""
    key_id, at = use.actor.api_key_id, use.at
    assert key_id is not None

    async def record(writer: AsyncSession) -> None:
        await api_keys.record_use(writer, key_id, at)

    if reads_only(request):
        write_after_reading(request, record)
    else:
        await record(session)


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _check_unverified(request: Request, actor: Actor) -> None:
    """PLATFORM_UNVERIFIED_ACCOUNTS=restrict: until its email is verified an account may read
    and manage its own sign-in (/auth), and change nothing else."""
    if request.method in _READS or actor.user.email_verified_at is not None:
        return
    account: AccountSettings = app_setting(request, "account_settings", load_account_settings)
    if account.unverified_accounts == "restrict" and "/api/v1/auth/" not in request.url.path:
        raise Forbidden(
            "verify your email address first: follow the link we sent, or ask for a new one "
            "at POST /api/v1/auth/verify-email/resend",
            code="email_not_verified",
        )


CurrentActor = Annotated[Actor, Depends(current_actor)]
