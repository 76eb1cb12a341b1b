"""Register, sign in, and who am I."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from praisonai_platform.core.schemas import ResponseSchema, Schema


class RegisterRequest(Schema):
    email: str = Field(max_length=320)
    password: str = Field(min_length=8, max_length=1024)
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


class TokenResponse(ResponseSchema):
    token: str
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserResponse
