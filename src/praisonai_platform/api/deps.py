"""Request-scoped dependencies: the database session, the settings and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from praisonai_platform.accounts import service as users
from praisonai_platform.accounts import tokens
from praisonai_platform.accounts.api_keys import service as api_keys
from praisonai_platform.accounts.settings import AccountSettings, load_account_settings
from praisonai_platform.billing.settings import BillingSettings, load_billing_settings
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Forbidden, Unauthenticated
from praisonai_platform.core.server_settings import ServerSettings, load_server_settings
from praisonai_platform.db import session_scope
from praisonai_platform.db.state import default_session_factory


async def get_db() -> AsyncIterator[AsyncSession]:
    """Yield a session for one request: committed if the handler succeeds, else rolled back."""
    async with session_scope() as session:
        yield session


# Function scope runs get_db's commit before the response is sent, so a write that fails to commit
# is never acknowledged. (FastAPI's default request scope commits after the client has its answer.)
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]


def get_session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    """Seed 001's dependency: the session factory the application keeps on `app.state` from its
    start, or the process-wide one (an application used without its lifespan, as in tests)."""
    factory: async_sessionmaker[AsyncSession] | None = getattr(
        request.app.state, "session_factory", None
    )
    return factory if factory is not None else default_session_factory()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with session_scope(get_session_factory(request)) as session:
        yield session


async def get_db_session(
    session: Annotated[AsyncSession, Depends(_request_session, scope="function")],
) -> AsyncSession:
    """Seed 001's request-scoped session, for `Depends(get_db_session)`: like `get_db`, committed
    before the response is sent when the handler succeeds, rolled back when it raises."""
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


def get_server_settings(request: Request) -> ServerSettings:
    return app_setting(request, "server_settings", load_server_settings)


def get_billing_settings(request: Request) -> BillingSettings:
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
    settings: ServerConfig,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Actor:
    """Who is calling: a signed-in user (token) or an API key's user or agent. A token counts
    only while its version is the user's (logout and password changes move it on)."""
    credential = api_key or (credentials.credentials if credentials else None)
    if not credential:
        raise Unauthenticated("sign in first: send Authorization: Bearer <token>")
    if api_keys.looks_like_key(credential):
        actor = await api_keys.authenticate(session, credential)
    else:
        claims = tokens.read(settings, credential)
        actor = Actor.for_user(
            await users.active_user(session, claims.user_id, claims.token_version)
        )
    _check_unverified(request, actor)
    return actor


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
