"""One-time account tokens (email verification, password reset): issued, mailed, spent once.

A token is 32 random bytes; only its HMAC under the server's signing secret is stored, so
neither a copy of the database nor a guess yields a working link, and rotating the secret voids
every outstanding link. Spending is one conditional UPDATE … RETURNING, so a link works once
even when two requests race with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.db.models import AccountToken, User

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class Spent:
    user_id: str
    email: str


def digest(signing_secret: str, token: str) -> str:
    key = hmac.new(signing_secret.encode(), b"praisonai-platform account tokens", "sha256")
    return hmac.new(key.digest(), token.encode(), hashlib.sha256).hexdigest()


async def issue(
    session: AsyncSession, signing_secret: str, user: User, purpose: str, ttl_seconds: int
) -> str:
    """A new token for `user` and `purpose`; earlier unspent ones of that purpose stop working."""
    await revoke(session, user.id, purpose)
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=digest(signing_secret, token),
            email=user.email,
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    await session.flush()
    return token


async def revoke(session: AsyncSession, user_id: str, purpose: str) -> None:
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def spend(session: AsyncSession, signing_secret: str, purpose: str, token: str) -> Spent:
    """The user and address of an unspent, unexpired token, marked spent in the same statement;
    anything else is 422 `invalid_account_token`."""
    now = utcnow()
    row = None
    if 0 < len(token) <= MAX_TOKEN_LENGTH:
        row = (
            await session.execute(
                update(AccountToken)
                .where(
                    AccountToken.token_hash == digest(signing_secret, token),
                    AccountToken.purpose == purpose,
                    AccountToken.used_at.is_(None),
                    AccountToken.expires_at > now,
                )
                .values(used_at=now)
                .returning(AccountToken.user_id, AccountToken.email)
                .execution_options(synchronize_session=False)
            )
        ).one_or_none()
    if row is None:
        raise ValidationFailed(
            "this link is unknown, expired or already used; ask for a new one",
            code="invalid_account_token",
        )
    return Spent(user_id=row.user_id, email=row.email)
