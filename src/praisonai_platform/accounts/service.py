"""Accounts: registration, sign-in, sessions, email verification and password reset."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from praisonai_platform.accounts import passwords, verification
from praisonai_platform.core.actors import Actor, Membership
from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import Conflict, Forbidden, Unauthenticated, ValidationFailed
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Member, User, UserApiKey, UserProvider, Workspace

MAX_NAME_LENGTH = 200
_NAME_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def normalise_email(email: str) -> str:
    """Lower-cased, validated address; unicode domains in their canonical form."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(f"not a valid email address: {exc}", code="invalid_email") from None


def check_password(password: str, min_length: int = passwords.MIN_PASSWORD_LENGTH) -> None:
    passwords.check_policy(password, min_length)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def register(
    session: AsyncSession,
    *,
    email: str,
    password: str | None,
    name: str | None = None,
    is_admin: bool = False,
    password_hash: str | None = None,
    email_verified: bool = False,
    min_password_length: int = passwords.MIN_PASSWORD_LENGTH,
) -> User:
    """Create a user. Without a name, one is derived from the email and made unique.

    `password_hash`: the password already checked and hashed by the caller, before it opened a
    transaction (the API does so; hashing inside one would hold SQLite's write lock)."""
    address = normalise_email(email)
    if password is not None and password_hash is None:
        check_password(password, min_password_length)
    if await get_by_email(session, address) is not None:
        raise Conflict("an account with this email already exists", code="email_taken")
    explicit_name = name.strip() if name else None
    if explicit_name is not None:
        if not explicit_name or len(explicit_name) > MAX_NAME_LENGTH:
            raise ValidationFailed("a name has 1 to 200 characters", code="invalid_name")
        if await session.scalar(select(User.id).where(User.name == explicit_name)):
            raise Conflict("this name is taken", code="name_taken")
    if password is not None and password_hash is None:
        password_hash = await passwords.hash_password(password)
    base = explicit_name or _name_from_email(address)
    for attempt in range(50):
        candidate = base if attempt == 0 else f"{base}-{attempt + 1}"
        if explicit_name is None and await session.scalar(
            select(User.id).where(User.name == candidate)
        ):
            continue
        user = User(
            name=candidate,
            email=address,
            password_hash=password_hash,
            is_admin=is_admin,
            email_verified_at=utcnow() if email_verified else None,
        )
        try:
            async with session.begin_nested():
                session.add(user)
                await session.flush()
        except IntegrityError:
            if await get_by_email(session, address) is not None:
                raise Conflict(
                    "an account with this email already exists", code="email_taken"
                ) from None
            if explicit_name is not None:
                raise Conflict("this name is taken", code="name_taken") from None
            continue  # another registration took the derived name meanwhile
        return user
    raise Conflict("could not find a free user name; choose one", code="name_taken")


async def authenticate(*, email: str, password: str, require_admin: bool = False) -> User:
    """The user with this email and password. Unknown email and wrong password look the same,
    in the answer and in the time taken.

    It opens its own sessions: the lookup is read-only, no transaction is open while the
    password is verified (the slow part, bounded per process by `passwords`), and the sign-in
    time is written afterwards in a short transaction of its own."""
    user = None
    if len(password) <= passwords.MAX_PASSWORD_LENGTH:
        async with session_scope(read_only=True) as session:
            user = await get_by_email(session, email)
    ok = await passwords.verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        raise Unauthenticated("wrong email or password", code="invalid_credentials")
    if require_admin and not user.is_admin:
        raise Unauthenticated("not an admin", code="invalid_credentials")
    now = utcnow()
    async with session_scope() as session:
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(last_login_at=now)
            .execution_options(synchronize_session=False)
        )
    user.last_login_at = now
    return user


async def end_sessions(session: AsyncSession, user_id: str) -> int:
    """Raise the user's token version: every token and admin session issued so far stops
    working, in every process. The new version (for a token that stays valid)."""
    version = await session.scalar(
        update(User)
        .where(User.id == user_id)
        .values(token_version=User.token_version + 1)
        .returning(User.token_version)
        .execution_options(synchronize_session=False)
    )
    if version is None:
        raise Unauthenticated(
            "the account behind this token no longer exists", code="invalid_token"
        )
    return version


async def set_password(
    session: AsyncSession, user_id: str, password_hash: str, *, revoke_api_keys: bool
) -> int:
    """Store a new password hash and end every session; outstanding reset links stop working.
    The new token version."""
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=password_hash)
        .execution_options(synchronize_session=False)
    )
    await verification.revoke(session, user_id, verification.RESET_PASSWORD)
    if revoke_api_keys:
        await _revoke_api_keys(session, user_id)
    return await end_sessions(session, user_id)


def require_token_session(actor: Actor) -> None:
    if actor.api_key_id is not None:
        raise Forbidden(
            "API keys cannot sign out or change a password; sign in with a token",
            code="api_key_not_allowed",
        )


async def verify_email(session: AsyncSession, signing_secret: str, token: str) -> User:
    """Mark the address of a verification link as verified (once; later links say invalid)."""
    spent = await verification.spend(
        session, signing_secret, verification.VERIFY_EMAIL, token.strip()
    )
    user = await session.get(User, spent.user_id)
    if user is None or not user.is_active or user.email != spent.email:
        raise ValidationFailed(
            "this link is unknown, expired or already used; ask for a new one",
            code="invalid_account_token",
        )
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        await session.flush()
    return user


async def reset_password(
    session: AsyncSession, signing_secret: str, token: str, password_hash: str
) -> User:
    """Set the password of a reset link's account and end all its sessions.

    Following the link proves the address. If the account's address had not been verified
    before, whoever made the account may not have owned it: the identities and API keys
    attached so far are removed with the old password, so only the address's owner keeps
    access."""
    spent = await verification.spend(
        session, signing_secret, verification.RESET_PASSWORD, token.strip()
    )
    user = await session.get(User, spent.user_id)
    if user is None or not user.is_active or user.email != spent.email:
        raise ValidationFailed(
            "this link is unknown, expired or already used; ask for a new one",
            code="invalid_account_token",
        )
    if user.email_verified_at is None:
        await session.execute(
            delete(UserProvider)
            .where(UserProvider.user_id == user.id)
            .execution_options(synchronize_session=False)
        )
        await _revoke_api_keys(session, user.id)
        user.email_verified_at = utcnow()
    await session.flush()
    version = await set_password(session, user.id, password_hash, revoke_api_keys=False)
    set_committed_value(user, "password_hash", password_hash)
    set_committed_value(user, "token_version", version)
    await verification.revoke(session, user.id, verification.VERIFY_EMAIL)
    return user


async def _revoke_api_keys(session: AsyncSession, user_id: str) -> None:
    await session.execute(
        update(UserApiKey)
        .where(UserApiKey.user_id == user_id, UserApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


# Built once, where session.get would build its query on every call (every request runs it).
_USER = select(User).where(User.id == bindparam("user_id"))


async def active_user(
    session: AsyncSession, user_id: str, token_version: int | None = None
) -> User:
    """The active user a token names; with `token_version`, only while the token's version is
    still the user's (logout, password change and reset move it on)."""
    found = await session.execute(_USER, {"user_id": user_id})
    return _check_active(found.scalar_one_or_none(), token_version)


# Built once (every request on a workspace's route runs it): values travel as parameters.
_USER_IN_WORKSPACE = (
    select(User, Member, Workspace)
    .outerjoin(
        Member,
        (Member.user_id == User.id) & (Member.workspace_id == bindparam("workspace_id")),
    )
    .outerjoin(Workspace, Workspace.id == Member.workspace_id)
    .where(User.id == bindparam("user_id"))
)


async def active_user_in(
    session: AsyncSession, user_id: str, token_version: int | None, workspace_id: str
) -> tuple[User, Membership]:
    """`active_user`, and in the same statement the user's membership in `workspace_id`: one
    round trip for the credential and the permission check of a workspace's route."""
    row = (
        await session.execute(
            _USER_IN_WORKSPACE, {"user_id": user_id, "workspace_id": workspace_id}
        )
    ).one_or_none()
    user = _check_active(row.User if row else None, token_version)
    assert row is not None
    return user, Membership(workspace_id, row.Workspace, row.Member)


def _check_active(user: User | None, token_version: int | None) -> User:
    if user is None or not user.is_active:
        raise Unauthenticated(
            "the account behind this token no longer exists", code="invalid_token"
        )
    if token_version is not None and token_version != user.token_version:
        raise Unauthenticated("this session has ended; sign in again", code="token_revoked")
    return user


async def count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User)) or 0


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    cleaned = _NAME_UNSAFE.sub("-", local.lower()).strip("-._") or "user"
    return cleaned[:100]
