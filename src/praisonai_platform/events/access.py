"""Who may hold a workspace's event stream, checked again while it is open.

The same rule as reading the workspace's activity: any member (read-only keys included) and the
workspace's agent keys. The credential the stream was opened with is checked again as a request
would check it, so a removed member's, a revoked key's and a signed-out token's stream ends.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.accounts import service as users
from praisonai_platform.accounts import tokens
from praisonai_platform.accounts.api_keys import service as api_keys
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.workspaces.permissions import Action, workspace_access


async def check(
    session: AsyncSession, settings: ServerSettings, credential: str, workspace_id: str
) -> Actor:
    """The caller behind `credential`, if it may still read the workspace's events; raises
    Unauthenticated, Forbidden or NotFound as the request would have."""
    if api_keys.looks_like_key(credential):
        actor = (await api_keys.authenticate(session, credential, workspace_id)).actor
    else:
        claims = tokens.read(settings, credential)
        user, membership = await users.active_user_in(
            session, claims.user_id, claims.token_version, workspace_id
        )
        actor = Actor.for_user(user, membership)
    await workspace_access(session, actor, workspace_id, Action.ACTIVITY_READ)
    return actor
