"""Request-scoped dependencies: the database session, the settings and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.accounts import service as users
from praisonai_platform.accounts import tokens
from praisonai_platform.accounts.api_keys import service as api_keys
from praisonai_platform.billing.settings import BillingSettings, load_billing_settings
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import Unauthenticated
from praisonai_platform.core.server_settings import ServerSettings, load_server_settings
from praisonai_platform.db import session_scope


async def get_db() -> AsyncIterator[AsyncSession]:
    """Yield a session for one request: committed if the handler succeeds, else rolled back."""
    async with session_scope() as session:
        yield session


# Function scope runs get_db's commit before the response is sent, so a write that fails to commit
# is never acknowledged. (FastAPI's default request scope commits after the client has its answer.)
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]


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
    session: DbSession,
    settings: ServerConfig,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Actor:
    """Who is calling: a signed-in user (token) or an API key's user or agent."""
    credential = api_key or (credentials.credentials if credentials else None)
    if not credential:
        raise Unauthenticated("sign in first: send Authorization: Bearer <token>")
    if api_keys.looks_like_key(credential):
        return await api_keys.authenticate(session, credential)
    user_id = tokens.subject(settings, credential)
    return Actor.for_user(await users.active_user(session, user_id))


CurrentActor = Annotated[Actor, Depends(current_actor)]
