"""Sign-in providers, the identities linked to a user, and the answer of a finished sign-in."""

from __future__ import annotations

from datetime import datetime

from praisonai_platform.accounts.schemas import TokenResponse
from praisonai_platform.core.schemas import ResponseSchema


class OAuthProviderResponse(ResponseSchema):
    name: str
    display_name: str
    kind: str
    authorize_url: str


class IdentityResponse(ResponseSchema):
    id: str
    provider: str
    provider_user_id: str
    email: str | None = None
    email_verified: bool
    created_at: datetime
    last_login_at: datetime | None = None


class OAuthTokenResponse(TokenResponse):
    """A token, like /auth/login, and how the sign-in went."""

    provider: str
    identity_id: str
    new_user: bool
