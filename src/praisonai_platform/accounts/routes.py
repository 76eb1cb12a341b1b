"""Register, sign in, and who am I."""

from __future__ import annotations

from praisonai_platform.accounts import service as users
from praisonai_platform.accounts import tokens
from praisonai_platform.accounts.schemas import (
    LoginRequest,
    RegisterRequest,
    TokenResponse,
    UserResponse,
)
from praisonai_platform.api.deps import CurrentActor, DbSession, ServerConfig
from praisonai_platform.api.routing import APIRouter
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db.models import User

router = APIRouter(prefix="/auth", tags=["auth"])


def _token_response(settings: ServerSettings, user: User) -> TokenResponse:
    token = tokens.issue(settings, user.id)
    return TokenResponse(
        token=token,
        access_token=token,
        expires_in=settings.jwt_ttl_seconds,
        user=UserResponse.model_validate(user),
    )


@router.post("/register", status_code=201, response_model=TokenResponse)
async def register(
    body: RegisterRequest, session: DbSession, settings: ServerConfig
) -> TokenResponse:
    """Create an account and sign in."""
    user = await users.register(session, email=body.email, password=body.password, name=body.name)
    return _token_response(settings, user)


@router.post("/login", response_model=TokenResponse)
async def login(body: LoginRequest, session: DbSession, settings: ServerConfig) -> TokenResponse:
    """Exchange email and password for a token."""
    user = await users.authenticate(session, email=body.email, password=body.password)
    return _token_response(settings, user)


@router.get("/me", response_model=UserResponse)
async def me(actor: CurrentActor) -> UserResponse:
    """The signed-in user."""
    return UserResponse.model_validate(actor.user)
