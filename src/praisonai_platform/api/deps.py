"""Request-scoped dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.db import session_scope


async def get_db() -> AsyncIterator[AsyncSession]:
    """Yield a session for one request: committed if the handler succeeds, else rolled back."""
    async with session_scope() as session:
        yield session


# Function scope runs get_db's commit before the response is sent, so a write that fails to commit
# is never acknowledged. (FastAPI's default request scope commits after the client has its answer.)
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
