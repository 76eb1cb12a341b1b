"""Signing in through an OAuth / OpenID Connect provider, and the identities it links to users.

A pending sign-in (its state, PKCE verifier and nonce) waits in the nonces table, so any server
process can finish it, and is consumed by one atomic DELETE … RETURNING: a replayed callback finds
nothing. An identity belongs to exactly one user: the user it was linked to before; else the
signed-in user who started the sign-in to link it; else the user whose address we verified and
the provider reports as verified; else a new user. A provider's unverified email never creates
or joins an account, and an account whose address we have not verified is never joined by email
(409 `account_exists_sign_in_to_link`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.accounts import service as users
from praisonai_platform.accounts.oauth.client import AuthorizationRequest, OAuthFailed, Profile
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PlatformError,
    RateLimited,
    Unauthenticated,
)
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import Nonce, User, UserProvider

STATE_SCOPE_PREFIX = "oauth:"
# A sign-in started by a signed-in user to link a provider: which user (beside the state).
LINK_SCOPE_PREFIX = "oauth-link:"
_PROFILE_LIMITS = {"display_name": 200, "given_name": 200, "family_name": 200, "locale": 35}
MAX_AVATAR_URL = 2048
MAX_EMAIL = 320


@dataclass(frozen=True)
class PendingSignIn:
    code_verifier: str
    nonce: str | None
    redirect_uri: str


@dataclass(frozen=True)
class SignIn:
    user: User
    identity: UserProvider
    new_user: bool


def _address_key(address: str) -> str:
    return hashlib.sha256(b"oauth-client:" + address.encode()).hexdigest()


def _state_key(state: str) -> str:
    # Only a hash is stored: the state travels in URLs, the database need not hold it.
    return hashlib.sha256(state.encode()).hexdigest()


# The PostgreSQL advisory lock that orders the starts of sign-ins (any fixed number).
_PENDING_LOCK = 0x0A17_0001


class SignInsBusy(PlatformError):
    status_code = 503
    default_code = "oauth_busy"


async def save_pending(
    session: AsyncSession,
    provider: str,
    request: AuthorizationRequest,
    ttl_seconds: int,
    *,
    client_address: str | None = None,
    max_pending: int | None = None,
    max_pending_per_address: int | None = None,
) -> None:
    """Remember a sign-in until the provider sends the browser back (and forget stale ones).

    Anonymous requests write these rows, so they are bounded: at most `max_pending` unfinished
    sign-ins in all (503 `oauth_busy` beyond) and `max_pending_per_address` from one client
    address (429 `too_many_pending_sign_ins`). Only a hash of the address is kept. The counts
    are read in the writing transaction, and starts take turns (SQLite's writers always do;
    on PostgreSQL a transaction-scoped advisory lock), so the limits are exact.
    """
    now = utcnow()
    await session.execute(
        delete(Nonce)
        .where(Nonce.scope.startswith(STATE_SCOPE_PREFIX), Nonce.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Starts take turns on the counts (SQLite writers take turns anyway).
        await session.execute(select(func.pg_advisory_xact_lock(_PENDING_LOCK)))
    address_key = _address_key(client_address) if client_address else None
    pending = (
        select(func.count()).select_from(Nonce).where(Nonce.scope.startswith(STATE_SCOPE_PREFIX))
    )
    if max_pending_per_address is not None and address_key is not None:
        mine = await session.scalar(pending.where(Nonce.request_hash == address_key))
        if (mine or 0) >= max_pending_per_address:
            raise RateLimited(
                "too many sign-ins started from your address are unfinished; finish one or "
                "try again later",
                code="too_many_pending_sign_ins",
                retry_after=ttl_seconds,
            )
    if max_pending is not None and (await session.scalar(pending) or 0) >= max_pending:
        raise SignInsBusy(
            "too many sign-ins are under way; try again in a few minutes",
            retry_after=ttl_seconds,
        )
    session.add(
        Nonce(
            scope=STATE_SCOPE_PREFIX + provider,
            key=_state_key(request.state),
            request_hash=address_key,
            response={
                "code_verifier": request.code_verifier,
                "nonce": request.nonce,
                "redirect_uri": request.redirect_uri,
            },
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    await session.flush()


async def consume_pending(session: AsyncSession, provider: str, state: str) -> PendingSignIn:
    """The pending sign-in of this state, removed in the same statement; unknown, expired, or
    already used states are refused."""
    row = (
        await session.execute(
            delete(Nonce)
            .where(Nonce.scope == STATE_SCOPE_PREFIX + provider, Nonce.key == _state_key(state))
            .returning(Nonce.response, Nonce.expires_at)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None or row.expires_at <= utcnow() or not isinstance(row.response, dict):
        raise OAuthFailed(
            "this sign-in is unknown, expired or already finished; start again",
            code="invalid_oauth_state",
        )
    return PendingSignIn(
        code_verifier=str(row.response["code_verifier"]),
        nonce=row.response.get("nonce"),
        redirect_uri=str(row.response["redirect_uri"]),
    )


async def sign_in(
    session: AsyncSession, provider: str, profile: Profile, link_user_id: str | None = None
) -> SignIn:
    """The user behind this identity, linking or creating as the rules say; with
    `link_user_id` (a signed-in user's explicit link), the identity joins that user."""
    if link_user_id is not None:
        identity, user = await _link_explicitly(session, provider, profile, link_user_id)
        new_user = False
    else:
        identity, user, new_user = await _link(session, provider, profile)
    if not user.is_active:
        raise Unauthenticated("this account is disabled", code="account_disabled")
    now = utcnow()
    email = profile.email if profile.email and len(profile.email) <= MAX_EMAIL else None
    identity.email = email.lower() if email else None
    identity.email_verified = profile.email_verified
    identity.raw_profile = profile.raw
    identity.last_login_at = now
    user.last_login_at = now
    _fill_blanks(user, profile)
    await session.flush()
    return SignIn(user=user, identity=identity, new_user=new_user)


async def list_identities(
    session: AsyncSession, actor: Actor, page: PageRequest
) -> Page[UserProvider]:
    statement = select(UserProvider).where(UserProvider.user_id == actor.user_id)
    order = [
        SortKey("created_at", UserProvider.created_at, kind=datetime),
        SortKey("id", UserProvider.id),
    ]
    return await paginate(session, statement, order, page)


async def unlink(session: AsyncSession, actor: Actor, identity_id: str) -> None:
    """Remove one of your identities, unless it is your last way to sign in."""
    if actor.api_key_id is not None:
        raise Forbidden(
            "API keys cannot change how you sign in; sign in with a token",
            code="api_key_not_allowed",
        )
    # The user row is locked so two concurrent unlinks cannot both leave the other one last.
    user = await session.scalar(select(User).where(User.id == actor.user_id).with_for_update())
    identity = await session.scalar(
        select(UserProvider.id).where(
            UserProvider.id == identity_id, UserProvider.user_id == actor.user_id
        )
    )
    if user is None or identity is None:
        raise NotFound("identity not found")
    if user.password_hash is None:
        others = await session.scalar(
            select(func.count())
            .select_from(UserProvider)
            .where(UserProvider.user_id == user.id, UserProvider.id != identity_id)
        )
        if not others:
            raise Conflict(
                "this is your only way to sign in; set a password or link another provider first",
                code="last_sign_in_method",
            )
    await session.execute(
        delete(UserProvider)
        .where(UserProvider.id == identity_id)
        .execution_options(synchronize_session=False)
    )


async def _link(
    session: AsyncSession, provider: str, profile: Profile
) -> tuple[UserProvider, User, bool]:
    """(identity, user, whether the user is new). A concurrent first sign-in of the same person
    can win the race for the identity or the email; then the rules are applied again to what it
    made."""
    for attempt in range(3):
        found = await _identity(session, provider, profile.provider_user_id)
        if found is not None:
            return found[0], found[1], False
        try:
            async with session.begin_nested():
                user, new_user = await _user_for_new_identity(session, profile)
                identity = UserProvider(
                    user_id=user.id, provider=provider, provider_user_id=profile.provider_user_id
                )
                session.add(identity)
                await session.flush()
            return identity, user, new_user
        except (IntegrityError, Conflict) as exc:
            raced = isinstance(exc, IntegrityError) or exc.code in ("conflict", "email_taken")
            if not raced or attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _identity(
    session: AsyncSession, provider: str, provider_user_id: str
) -> tuple[UserProvider, User] | None:
    row = (
        await session.execute(
            select(UserProvider, User)
            .join(User, User.id == UserProvider.user_id)
            .where(
                UserProvider.provider == provider,
                UserProvider.provider_user_id == provider_user_id,
            )
        )
    ).one_or_none()
    return (row.UserProvider, row.User) if row is not None else None


async def _user_for_new_identity(session: AsyncSession, profile: Profile) -> tuple[User, bool]:
    """(user, created). An email the provider has not verified never creates or joins an
    account. A verified one joins an existing account only if we verified that account's
    address too; otherwise whoever typed the address at registration might not own it, and
    joining would hand them the provider's sign-in: refused, the owner links it while signed
    in. No existing account: a new one, its address verified by the provider."""
    if not profile.email:
        raise OAuthFailed(
            "the provider shared no email address; allow access to it and try again",
            code="oauth_email_missing",
        )
    if not profile.email_verified:
        raise OAuthFailed(
            "the provider has not verified your email address: verify it there and try again",
            code="oauth_email_not_verified",
        )
    address = users.normalise_email(profile.email)
    existing = await users.get_by_email(session, address)
    if existing is not None:
        if existing.email_verified_at is not None:
            return existing, False
        raise Conflict(
            "an account with this email exists and its address has not been verified: sign in "
            "to it and link this provider from there (POST /api/v1/auth/oauth/<provider>/link), "
            "or verify the address or reset the password by email first",
            code="account_exists_sign_in_to_link",
        )
    return await users.register(session, email=address, password=None, email_verified=True), True


async def _link_explicitly(
    session: AsyncSession, provider: str, profile: Profile, user_id: str
) -> tuple[UserProvider, User]:
    """Attach the identity to the signed-in user who asked for it, whatever its email."""
    found = await _identity(session, provider, profile.provider_user_id)
    if found is not None:
        if found[1].id != user_id:
            raise Conflict(
                "this identity is linked to another account; unlink it there first",
                code="identity_linked_elsewhere",
            )
        return found
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthenticated("the account to link no longer exists", code="invalid_token")
    identity = UserProvider(
        user_id=user.id, provider=provider, provider_user_id=profile.provider_user_id
    )
    try:
        async with session.begin_nested():
            session.add(identity)
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "this identity is linked to another account; unlink it there first",
            code="identity_linked_elsewhere",
        ) from None
    return identity, user


async def save_link(
    session: AsyncSession,
    provider: str,
    request: AuthorizationRequest,
    ttl_seconds: int,
    actor: Actor,
) -> None:
    """Remember that the sign-in of this state links to the signed-in `actor` (and at which
    token version: signing out before the provider answers cancels it)."""
    await session.execute(
        delete(Nonce)
        .where(Nonce.scope.startswith(LINK_SCOPE_PREFIX), Nonce.expires_at < utcnow())
        .execution_options(synchronize_session=False)
    )
    session.add(
        Nonce(
            scope=LINK_SCOPE_PREFIX + provider,
            key=_state_key(request.state),
            response={"user_id": actor.user_id, "tv": actor.user.token_version},
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    await session.flush()


async def consume_link(session: AsyncSession, provider: str, state: str) -> str | None:
    """The user a sign-in links to, if it was started to link; spent with the state. A link
    whose user has signed out, changed password or gone since is refused."""
    row = (
        await session.execute(
            delete(Nonce)
            .where(Nonce.scope == LINK_SCOPE_PREFIX + provider, Nonce.key == _state_key(state))
            .returning(Nonce.response)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None or not isinstance(row.response, dict):
        return None
    user_id, version = row.response.get("user_id"), row.response.get("tv")
    user = await session.get(User, user_id) if isinstance(user_id, str) else None
    if user is None or not user.is_active or user.token_version != version:
        raise OAuthFailed(
            "the session that started this link has ended; sign in and start again",
            code="invalid_oauth_state",
        )
    return user.id


def _fill_blanks(user: User, profile: Profile) -> None:
    """Profile fields the user has not set are taken from the provider (within column sizes)."""
    for name, limit in _PROFILE_LIMITS.items():
        value = getattr(profile, name)
        if getattr(user, name) is None and value and len(value) <= limit:
            setattr(user, name, value)
    avatar = profile.avatar_url
    if (
        user.avatar_url is None
        and avatar
        and len(avatar) <= MAX_AVATAR_URL
        and avatar.startswith(("https://", "http://"))
    ):
        user.avatar_url = avatar
