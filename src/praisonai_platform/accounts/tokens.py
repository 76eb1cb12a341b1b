"""Signed access tokens (JWT, HS256) that always expire.

Each token carries the user's token version (`tv`) at the time it was issued; a request is
refused once the user's version has moved on (logout, password change or reset), so sessions
end at once in every process. Tokens issued before versions existed count as version 0.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import timedelta

import jwt

from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import Unauthenticated
from praisonai_platform.core.server_settings import ServerSettings

ALGORITHM = "HS256"
TOKEN_TYPE = "access"


@dataclass(frozen=True)
class Claims:
    user_id: str
    token_version: int


def issue(settings: ServerSettings, user_id: str, token_version: int = 0) -> str:
    now = utcnow()
    claims = {
        "sub": user_id,
        "tv": token_version,
        "iat": now,
        "exp": now + timedelta(seconds=settings.jwt_ttl_seconds),
        "typ": TOKEN_TYPE,
    }
    return jwt.encode(claims, settings.signing_secret(), algorithm=ALGORITHM)


def subject(settings: ServerSettings, token: str) -> str:
    """The user id a valid token was issued to; anything else is Unauthenticated."""
    return read(settings, token).user_id


def read(settings: ServerSettings, token: str) -> Claims:
    """The user id and token version of a valid token; anything else is Unauthenticated.

    A token's signature is checked once: a token is immutable, so its claims are kept (with its
    expiry, checked on every use) for the next request that brings it. What the claims grant is
    still checked against the database each time (the user's token version)."""
    secret = settings.signing_secret()
    known = _verified.get((secret, token))
    if known is not None:
        claims, expires_at = known
        if time.time() < expires_at:
            return claims
        _verified.pop((secret, token), None)
        raise Unauthenticated("the token has expired; sign in again", code="token_expired")
    claims, expires_at = _verify(secret, token)
    if len(_verified) >= _VERIFIED_AT_MOST:
        with contextlib.suppress(StopIteration, KeyError, RuntimeError):  # raced by a thread
            del _verified[next(iter(_verified))]  # the oldest
    _verified[(secret, token)] = (claims, expires_at)
    return claims


# Tokens whose signature was checked, by (secret, token): their claims and expiry.
_verified: dict[tuple[str, str], tuple[Claims, float]] = {}
_VERIFIED_AT_MOST = 10_000


def _verify(secret: str, token: str) -> tuple[Claims, float]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated(
            "the token has expired; sign in again", code="token_expired"
        ) from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("the token is not valid", code="invalid_token") from None
    version = claims.get("tv", 0)
    if (
        claims.get("typ") != TOKEN_TYPE
        or not isinstance(claims["sub"], str)
        or not isinstance(version, int)
        or isinstance(version, bool)
    ):
        raise Unauthenticated("the token is not valid", code="invalid_token")
    expires_at = claims["exp"]
    if not isinstance(expires_at, int | float) or isinstance(expires_at, bool):
        raise Unauthenticated("the token is not valid", code="invalid_token")
    return Claims(user_id=claims["sub"], token_version=version), float(expires_at)
