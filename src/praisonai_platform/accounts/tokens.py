"""Signed access tokens (JWT, HS256) that always expire."""

from __future__ import annotations

from datetime import timedelta

import jwt

from praisonai_platform.core.clock import utcnow
from praisonai_platform.core.errors import Unauthenticated
from praisonai_platform.core.server_settings import ServerSettings

ALGORITHM = "HS256"
TOKEN_TYPE = "access"


def issue(settings: ServerSettings, user_id: str) -> str:
    now = utcnow()
    claims = {
        "sub": user_id,
        "iat": now,
        "exp": now + timedelta(seconds=settings.jwt_ttl_seconds),
        "typ": TOKEN_TYPE,
    }
    return jwt.encode(claims, settings.signing_secret(), algorithm=ALGORITHM)


def subject(settings: ServerSettings, token: str) -> str:
    """The user id a valid token was issued to; anything else is Unauthenticated."""
    try:
        claims = jwt.decode(
            token,
            settings.signing_secret(),
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated(
            "the token has expired; sign in again", code="token_expired"
        ) from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("the token is not valid", code="invalid_token") from None
    if claims.get("typ") != TOKEN_TYPE or not isinstance(claims["sub"], str):
        raise Unauthenticated("the token is not valid", code="invalid_token")
    return claims["sub"]
