"""Accounts: registration, sign-in and lookup of users."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.accounts import passwords
from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import Conflict, Unauthenticated, ValidationFailed
from praisonai_platform.db.models import User

MAX_NAME_LENGTH = 200
_NAME_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def normalise_email(email: str) -> str:
    """Lower-cased, validated address; unicode domains in their canonical form."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(f"not a valid email address: {exc}", code="invalid_email") from None


def check_password(password: str) -> None:
    length = len(password)
    if length < passwords.MIN_PASSWORD_LENGTH or length > passwords.MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"a password has {passwords.MIN_PASSWORD_LENGTH} to "
            f"{passwords.MAX_PASSWORD_LENGTH} characters",
            code="invalid_password",
        )


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email.strip().lower()))


async def register(
    session: AsyncSession,
    *,
    email: str,
    password: str | None,
    name: str | None = None,
    is_admin: bool = False,
) -> User:
    """Create a user. Without a name, one is derived from the email and made unique."""
    address = normalise_email(email)
    if password is not None:
        check_password(password)
    if await get_by_email(session, address) is not None:
        raise Conflict("an account with this email already exists", code="email_taken")
    explicit_name = name.strip() if name else None
    if explicit_name is not None:
        if not explicit_name or len(explicit_name) > MAX_NAME_LENGTH:
            raise ValidationFailed("a name has 1 to 200 characters", code="invalid_name")
        if await session.scalar(select(User.id).where(User.name == explicit_name)):
            raise Conflict("this name is taken", code="name_taken")
    password_hash = await passwords.hash_password(password) if password is not None else None
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
        )
        try:
            async with session.begin_nested():
                session.add(user)
                await session.flush()
        except IntegrityError:
            if await get_by_email(session, address) is not None or explicit_name is not None:
                raise Conflict("an account with this email or name already exists") from None
            continue  # another registration took the derived name meanwhile
        return user
    raise Conflict("could not find a free user name; choose one", code="name_taken")


async def authenticate(session: AsyncSession, *, email: str, password: str) -> User:
    """The user with this email and password. Unknown email and wrong password look the same,
    in the answer and in the time taken."""
    user = (
        await get_by_email(session, email)
        if len(password) <= passwords.MAX_PASSWORD_LENGTH
        else None
    )
    ok = await passwords.verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        raise Unauthenticated("wrong email or password", code="invalid_credentials")
    user.last_login_at = utcnow()
    return user


async def active_user(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthenticated(
            "the account behind this token no longer exists", code="invalid_token"
        )
    return user


async def count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User)) or 0


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    cleaned = _NAME_UNSAFE.sub("-", local.lower()).strip("-._") or "user"
    return cleaned[:100]
