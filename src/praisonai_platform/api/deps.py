"""Request-scoped dependencies: the database session, the caller, paging."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.db import session_scope
from praisonai_platform.errors import Unauthenticated
from praisonai_platform.server_config import ServerSettings, load_server_settings
from praisonai_platform.services import tokens, users
from praisonai_platform.services.actors import Actor
from praisonai_platform.services.pagination import MAX_LIMIT, Page, PageRequest


async def get_db() -> AsyncIterator[AsyncSession]:
    """Yield a session for one request: committed if the handler succeeds, else rolled back."""
    async with session_scope() as session:
        yield session


# Function scope runs get_db's commit before the response is sent, so a write that fails to commit
# is never acknowledged. (FastAPI's default request scope commits after the client has its answer.)
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]


def get_server_settings(request: Request) -> ServerSettings:
    settings = getattr(request.app.state, "server_settings", None)
    return settings if settings is not None else load_server_settings()


ServerConfig = Annotated[ServerSettings, Depends(get_server_settings)]

_bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <token>` with a token from /api/v1/auth/login.",
)


async def current_actor(
    session: DbSession,
    settings: ServerConfig,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("sign in first: send Authorization: Bearer <token>")
    user_id = tokens.subject(settings, credentials.credentials)
    return Actor.for_user(await users.active_user(session, user_id))


CurrentActor = Annotated[Actor, Depends(current_actor)]


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip.")] = 0,
    cursor: Annotated[
        str | None,
        Query(max_length=2048, description="Opaque cursor from a previous page's Link header."),
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset, cursor=cursor)


Paging = Annotated[PageRequest, Depends(page_request)]


def page_items(page: Page[Any], request: Request, response: Response) -> list[Any]:
    """Set X-Total-Count and the Link to the next page; return the page's items."""
    response.headers["X-Total-Count"] = str(page.total)
    if page.next_cursor is not None:
        kept = [
            (key, value)
            for key, value in request.query_params.multi_items()
            if key not in ("cursor", "offset")
        ]
        query = urlencode([*kept, ("cursor", page.next_cursor)])
        response.headers["Link"] = f'<{request.url.replace(query=query)}>; rel="next"'
    return page.items
