"""Register, sign in, who am I, sessions, email verification and password reset."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, computed_field

from praisonai_platform.core.schemas import ResponseSchema, Schema

# Length rules beyond these bounds (PLATFORM_PASSWORD_MIN_LENGTH, common passwords) are the
# server's: they answer 422 with a code of their own.
_PASSWORD = Field(min_length=1, max_length=1024)


class RegisterRequest(Schema):
    email: str = Field(max_length=320)
    password: str = _PASSWORD
    name: str | None = Field(default=None, max_length=200)


class LoginRequest(Schema):
    email: str = Field(max_length=320)
    # Any length is accepted here: a wrong password is simply wrong, whatever its length.
    password: str = Field(max_length=4096)


class UserResponse(ResponseSchema):
    id: str
    name: str
    email: str
    avatar_url: str | None = None
    display_name: str | None = None
    is_admin: bool = False
    created_at: datetime
    email_verified_at: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def email_verified(self) -> bool:
        """Whether the owner of the address followed a link we sent (or a provider vouched)."""
        return self.email_verified_at is not None


class TokenResponse(ResponseSchema):
    token: str
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserResponse


class Accepted(ResponseSchema):
    """The same answer whatever the email: what happens next is in the mail."""

    status: Literal["accepted"] = "accepted"
    detail: str


class ChangePasswordRequest(Schema):
    current_password: str = Field(max_length=4096)
    new_password: str = _PASSWORD
    revoke_api_keys: bool = Field(
        default=False, description="Also revoke every API key of the account."
    )


class PasswordResetRequest(Schema):
    email: str = Field(max_length=320)


class PasswordResetConfirm(Schema):
    token: str = Field(min_length=1, max_length=200)
    password: str = _PASSWORD


class VerifyEmailRequest(Schema):
    token: str = Field(min_length=1, max_length=200)


class LinkStartResponse(ResponseSchema):
    """Where to send the browser to link a provider to the signed-in account."""

    authorize_url: str
