"""API keys: random secrets shown once; the database keeps only a hash and a display prefix.

A key authenticates as its user, narrowed by its scopes and optionally to one workspace; a key
bound to an agent acts as that agent, with member rights at most (workspaces.permissions).
Keys are created with a signed-in session only, and listed or revoked with a session or a full
key (write scope, no workspace, no agent); any key may revoke itself.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import Actor, Membership
from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import Conflict, Forbidden, NotFound, Unauthenticated
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import ActorType, Agent, Member, User, UserApiKey, Workspace
from praisonai_platform.workspaces.permissions import Action, require_credential, workspace_access

KEY_PREFIX = "ppk_"
DISPLAY_PREFIX_LENGTH = 12
MAX_ACTIVE_KEYS = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)


def looks_like_key(credential: str) -> bool:
    return credential.startswith(KEY_PREFIX)


def hash_key(key: str) -> str:
    """SHA-256 suffices: the key holds 256 random bits, so its hash cannot be searched back."""
    return hashlib.sha256(key.encode()).hexdigest()


def is_active(key: UserApiKey, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    label: str | None,
    scopes: list[str],
    workspace_id: str | None = None,
    agent_id: str | None = None,
    expires_in_days: int | None = None,
) -> tuple[UserApiKey, str]:
    """A new key and its secret (returned this once)."""
    require_credential(actor, Action.API_KEY_CREATE)
    if agent_id is not None:
        agent = await session.get(Agent, agent_id)
        if agent is None or (workspace_id is not None and agent.workspace_id != workspace_id):
            raise NotFound("agent not found")
        access = await workspace_access(session, actor, agent.workspace_id, Action.AGENT_CHANGE)
        own = agent.owner_id == actor.user_id
        access.require(Action.AGENT_CHANGE, own=own)
        # The owner only, administrators included: the agent's runs are charged to its owner,
        # so a key of it is the owner's to give (see `authenticate`).
        if not own:
            raise Forbidden("only the agent's owner may make a key for it", code="not_agent_owner")
        workspace_id = agent.workspace_id
    elif workspace_id is not None:
        await workspace_access(session, actor, workspace_id, Action.WORKSPACE_READ)
    now = utcnow()
    active = await session.scalar(
        select(func.count())
        .select_from(UserApiKey)
        .where(
            UserApiKey.user_id == actor.user_id,
            UserApiKey.revoked_at.is_(None),
            or_(UserApiKey.expires_at.is_(None), UserApiKey.expires_at > now),
        )
    )
    if (active or 0) >= MAX_ACTIVE_KEYS:
        raise Conflict(
            f"you have {MAX_ACTIVE_KEYS} active keys; revoke one first", code="too_many_keys"
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = UserApiKey(
        user_id=actor.user_id,
        agent_id=agent_id,
        workspace_id=workspace_id,
        label=label,
        key_prefix=secret[:DISPLAY_PREFIX_LENGTH],
        key_hash=hash_key(secret),
        scopes=sorted(set(scopes)),
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(key)
    await session.flush()
    return key, secret


async def list_for(session: AsyncSession, actor: Actor, page: PageRequest) -> Page[UserApiKey]:
    """The caller's keys; read-only, workspace-limited and agents' keys may not list them."""
    require_credential(actor, Action.API_KEY_LIST)
    statement = select(UserApiKey).where(UserApiKey.user_id == actor.user_id)
    order = [
        SortKey("created_at", UserApiKey.created_at, descending=True, kind=datetime),
        SortKey("id", UserApiKey.id, descending=True),
    ]
    return await paginate(session, statement, order, page)


async def revoke(session: AsyncSession, actor: Actor, key_id: str) -> UserApiKey:
    """Revoke one of the caller's keys. A key may always revoke itself; revoking another needs
    a session or a full key."""
    if key_id != actor.api_key_id:
        require_credential(actor, Action.API_KEY_REVOKE)
    key = await session.scalar(
        select(UserApiKey).where(UserApiKey.id == key_id, UserApiKey.user_id == actor.user_id)
    )
    if key is None:
        raise NotFound("API key not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


@dataclass(frozen=True, slots=True)
class KeyUse:
    """An authenticated key: the actor it acts as, and whether its last use is stale (older than
    `LAST_USED_RESOLUTION`) and should be recorded with `record_use`."""

    actor: Actor
    at: datetime
    record: bool


async def authenticate(
    session: AsyncSession, secret: str, workspace_id: str | None = None
) -> KeyUse:
    """The actor a key acts as; unknown, revoked and expired keys are Unauthenticated.

    With `workspace_id` (the workspace of the request's path), the key's user's membership in it
    is read in the same statement (`Actor.membership`). Nothing is written: the caller records
    the use (`record_use`), in the request's transaction or after a read-only one."""
    statement = (
        select(UserApiKey, User, Agent.owner_id.label("agent_owner_id"))
        .join(User, User.id == UserApiKey.user_id)
        .outerjoin(Agent, Agent.id == UserApiKey.agent_id)
    )
    if workspace_id is not None:
        statement = (
            statement.add_columns(Member, Workspace)
            .outerjoin(Member, (Member.user_id == User.id) & (Member.workspace_id == workspace_id))
            .outerjoin(Workspace, Workspace.id == Member.workspace_id)
        )
    row = (
        await session.execute(statement.where(UserApiKey.key_hash == hash_key(secret)))
    ).one_or_none()
    now = utcnow()
    if (
        row is None
        or not is_active(row.UserApiKey, now)
        or not row.User.is_active
        # An agent's key speaks (and pays) for the agent's owner: it stops when the agent
        # changes hands, as a key an administrator made before only owners could.
        or (row.UserApiKey.agent_id is not None and row.agent_owner_id != row.User.id)
    ):
        raise Unauthenticated(
            "the API key is not valid, revoked or expired", code="invalid_api_key"
        )
    key, user = row.UserApiKey, row.User
    actor = Actor(
        type=ActorType.AGENT if key.agent_id else ActorType.USER,
        id=key.agent_id or user.id,
        user=user,
        scopes=frozenset(key.scopes),
        workspace_id=key.workspace_id,
        api_key_id=key.id,
        membership=None
        if workspace_id is None
        else Membership(workspace_id, row.Workspace, row.Member),
    )
    stale = key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION
    return KeyUse(actor=actor, at=now, record=stale)


async def record_use(session: AsyncSession, key_id: str, at: datetime) -> None:
    """Set the key's last use to `at`, unless a use within `LAST_USED_RESOLUTION` of it is
    already recorded (so concurrent requests write it once)."""
    await session.execute(
        update(UserApiKey)
        .where(
            UserApiKey.id == key_id,
            or_(
                UserApiKey.last_used_at.is_(None),
                UserApiKey.last_used_at <= at - LAST_USED_RESOLUTION,
            ),
        )
        .values(last_used_at=at)
        .execution_options(synchronize_session=False)
    )
