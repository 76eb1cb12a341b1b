"""Register, sign in, who am I; sign out, change or reset a password, verify an email.

Passwords are checked and hashed before any database transaction is opened (the request's
session starts its transaction at its first statement), so a flood of sign-ins never holds
SQLite's write lock; mail goes out after the response.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import BackgroundTasks, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from praisonai_platform.accounts import passwords, tokens, verification
from praisonai_platform.accounts import service as users
from praisonai_platform.accounts.mail import Mail, Mailer, build_mailer
from praisonai_platform.accounts.names import check_chosen_name
from praisonai_platform.accounts.schemas import (
    Accepted,
    ChangePasswordRequest,
    LoginRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    RegisterRequest,
    TokenResponse,
    UserResponse,
    VerifyEmailRequest,
)
from praisonai_platform.accounts.settings import (
    AccountSettings,
    load_account_settings,
    registration_signs_in,
)
from praisonai_platform.api.deps import (
    CurrentActor,
    DbSession,
    ServerConfig,
    WriteSession,
    app_setting,
    get_session_factory,
)
from praisonai_platform.api.routing import APIRouter
from praisonai_platform.core.errors import Conflict, Unauthenticated, ValidationFailed
from praisonai_platform.core.server_settings import ServerSettings
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import User

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])

REGISTERED = (
    "If this address can be used, a message is on its way to it: follow its link to verify "
    "the address, then sign in."
)
RESET_REQUESTED = (
    "If an account uses this address, a message with a link to choose a new password is on its "
    "way to it."
)
VERIFICATION_SENT = "A new verification link is on its way to your address."


def _settings(request: Request) -> AccountSettings:
    return app_setting(request, "account_settings", load_account_settings)


def _mailer(request: Request) -> Mailer:
    return app_setting(request, "mailer", lambda: build_mailer(_settings(request)))


def _token_response(settings: ServerSettings, user: User) -> TokenResponse:
    token = tokens.issue(settings, user.id, user.token_version)
    return TokenResponse(
        token=token,
        access_token=token,
        expires_in=settings.jwt_ttl_seconds,
        user=UserResponse.model_validate(user),
    )


def _accepted(detail: str) -> JSONResponse:
    return JSONResponse(Accepted(detail=detail).model_dump(mode="json"), status_code=202)


def _link(account: AccountSettings, page: str, token: str) -> str:
    """A link to one of the web app's account pages: absolute when the server's public address
    is configured; else the path only (never the request's Host header: a client chooses it)."""
    return f"{account.email_link_base_url or ''}/{page}?token={token}"


def _verification_mail(account: AccountSettings, user: User, token: str) -> Mail:
    return Mail(
        to=user.email,
        subject="Verify your email address",
        text=f"Hello {user.name},\n\nto verify this address for your account, open:\n\n"
        f"  {_link(account, 'verify-email', token)}\n\n"
        f"or run `praisonai-platform verify-email {token}`. The link works once, for "
        f"{account.email_verification_ttl_seconds // 3600} hours.\n\n"
        "If you did not create this account, ignore this message: it stays unverified.\n",
        kind=verification.VERIFY_EMAIL,
        token=token,
    )


def _reset_mail(account: AccountSettings, user: User, token: str, *, why: str) -> Mail:
    return Mail(
        to=user.email,
        subject="Choose a new password",
        text=f"Hello {user.name},\n\n{why}\n\nTo choose a new password, open\n\n"
        f"  {_link(account, 'reset-password', token)}\n\n"
        f"or run `praisonai-platform reset-password --token {token}`, "
        f"or send this token and a new password to POST "
        f"{account.email_link_base_url or ''}/api/v1/auth/password-reset/confirm. It works once, "
        f"for {account.reset_link_ttl_seconds // 60} minutes, and signs out every "
        "session.\n\n"
        "If you did not ask for this, ignore this message: your password stays as it is.\n",
        kind=verification.RESET_PASSWORD,
        token=token,
    )


@router.post(
    "/register",
    status_code=201,
    response_model=TokenResponse,
    responses={
        202: {
            "model": Accepted,
            "description": "The default: every registration, new email or taken, gets this "
            "same answer, and a message goes to the address; a new account signs in with its "
            "password. Where registration signs in (PLATFORM_REGISTRATION_SIGNS_IN=true, or "
            "the 0.1.9 dialect), only a taken email gets it.",
        },
    },
)
async def register(
    body: RegisterRequest,
    request: Request,
    session: DbSession,
    settings: ServerConfig,
    background: BackgroundTasks,
) -> Any:
    """Create an account. By default the answer is 202 whether or not the email has an
    account (a new one signs in with its password); the address gets a message either way.
    Where the server is set to sign registrations in, a new email answers 201 with a token."""
    account = _settings(request)
    mailer = _mailer(request)
    address = users.normalise_email(body.email)
    users.check_password(body.password, account.min_length)
    # Hashed before the first statement, so before any transaction; a taken email costs the
    # same hash, so the time taken does not tell it apart either.
    password_hash = await passwords.hash_password(body.password)
    secret = settings.signing_secret()
    # Before the email is looked up: a refused name must not depend on the email being taken.
    await check_chosen_name(session, body.name)
    try:
        user = await users.register(
            session,
            email=address,
            password=body.password,
            password_hash=password_hash,
            name=body.name,
        )
    except Conflict as exc:
        if exc.code != "email_taken":
            raise
        owner = await users.get_by_email(session, address)
        if owner is not None and owner.is_active:
            token = await verification.issue(
                session, secret, owner, verification.RESET_PASSWORD,
                account.reset_link_ttl_seconds,
            )  # fmt: skip
            why = (
                "someone (perhaps you) tried to create an account with this address, which "
                "already has one. If it was you, sign in, or choose a new password below."
            )
            background.add_task(mailer.send, _reset_mail(account, owner, token, why=why))
        return _accepted(REGISTERED)
    token = await verification.issue(
        session, secret, user, verification.VERIFY_EMAIL, account.email_verification_ttl_seconds
    )
    background.add_task(mailer.send, _verification_mail(account, user, token))
    if not registration_signs_in(account, settings.api_compat):
        return _accepted(REGISTERED)
    return _token_response(settings, user)


@router.post("/login", response_model=TokenResponse)
async def login(body: LoginRequest, settings: ServerConfig) -> TokenResponse:
    """Exchange email and password for a token."""
    user = await users.authenticate(email=body.email, password=body.password)
    return _token_response(settings, user)


@router.get("/me", response_model=UserResponse)
async def me(actor: CurrentActor) -> UserResponse:
    """The signed-in user."""
    return UserResponse.model_validate(actor.user)


@router.post("/logout", status_code=204, response_class=Response)
async def logout(actor: CurrentActor, session: DbSession) -> Response:
    """Sign out: this token, every other token of the account and its admin UI sessions stop
    working at once (API keys are not affected)."""
    users.require_token_session(actor)
    await users.end_sessions(session, actor.user_id)
    return Response(status_code=204)


@router.post("/password", response_model=TokenResponse)
async def change_password(
    body: ChangePasswordRequest,
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    settings: ServerConfig,
) -> TokenResponse:
    """Change your password (the current one is required). Every other session ends; the
    answer carries a new token for this one. `revoke_api_keys` also revokes all your keys."""
    users.require_token_session(actor)
    account = _settings(request)
    user = actor.user
    # End the read transaction that signing in opened: no lock is held while hashing.
    await session.commit()
    if not await passwords.verify_password(body.current_password, user.password_hash):
        raise Unauthenticated("the current password is wrong", code="invalid_credentials")
    users.check_password(body.new_password, account.min_length)
    password_hash = await passwords.hash_password(body.new_password)
    version = await users.set_password(
        session, user.id, password_hash, revoke_api_keys=body.revoke_api_keys
    )
    set_committed_value(user, "token_version", version)
    set_committed_value(user, "password_hash", password_hash)
    return _token_response(settings, user)


@router.post("/password-reset", status_code=202, response_model=Accepted)
async def request_password_reset(
    body: PasswordResetRequest,
    request: Request,
    settings: ServerConfig,
    background: BackgroundTasks,
) -> Accepted:
    """Ask for a password reset link by mail. The answer is the same whether or not an
    account uses the address, and so is the time it takes: the account is looked up and the
    link made after the answer has gone."""
    try:
        address = users.normalise_email(body.email)
    except ValidationFailed:  # an address no account can have: the same answer
        return Accepted(detail=RESET_REQUESTED)
    background.add_task(
        _mail_reset_link,
        get_session_factory(request),
        _mailer(request),
        _settings(request),
        settings.signing_secret(),
        address,
    )
    return Accepted(detail=RESET_REQUESTED)


async def _mail_reset_link(
    sessions: async_sessionmaker[AsyncSession],
    mailer: Mailer,
    account: AccountSettings,
    signing_secret: str,
    address: str,
) -> None:
    try:
        async with session_scope(sessions) as session:
            user = await users.get_by_email(session, address)
            if user is None or not user.is_active:
                return
            token = await verification.issue(
                session,
                signing_secret,
                user,
                verification.RESET_PASSWORD,
                account.reset_link_ttl_seconds,
            )
            why = "someone (perhaps you) asked to reset the password of your account."
            mail = _reset_mail(account, user, token, why=why)
    except SQLAlchemyError:
        # Nobody waits for this answer any more: the log is where it can be seen.
        logger.exception("could not make a password reset link")
        return
    await mailer.send(mail)


@router.post("/password-reset/confirm", response_model=TokenResponse)
async def confirm_password_reset(
    body: PasswordResetConfirm, request: Request, session: DbSession, settings: ServerConfig
) -> TokenResponse:
    """Choose a new password with the token of a reset mail: every session ends, the address
    counts as verified, and the answer signs you in."""
    users.check_password(body.password, _settings(request).min_length)
    password_hash = await passwords.hash_password(body.password)
    user = await users.reset_password(session, settings.signing_secret(), body.token, password_hash)
    return _token_response(settings, user)


@router.post("/verify-email", response_model=UserResponse)
async def verify_email(
    body: VerifyEmailRequest, session: DbSession, settings: ServerConfig
) -> UserResponse:
    """Verify your address with the token of a verification mail."""
    user = await users.verify_email(session, settings.signing_secret(), body.token)
    return UserResponse.model_validate(user)


@router.get("/verify-email", response_model=UserResponse)
async def verify_email_link(
    token: Annotated[str, Query(min_length=1, max_length=200)],
    session: WriteSession,
    settings: ServerConfig,
) -> UserResponse:
    """The link of a verification mail: verifies the address it was sent to."""
    user = await users.verify_email(session, settings.signing_secret(), token)
    return UserResponse.model_validate(user)


@router.post("/verify-email/resend", status_code=202, response_model=Accepted)
async def resend_verification(
    request: Request,
    actor: CurrentActor,
    session: DbSession,
    settings: ServerConfig,
    background: BackgroundTasks,
) -> Accepted:
    """Send a new verification link to your address (earlier links stop working)."""
    user = actor.user
    if user.email_verified_at is not None:
        raise Conflict("your email is already verified", code="email_already_verified")
    account = _settings(request)
    token = await verification.issue(
        session,
        settings.signing_secret(),
        user,
        verification.VERIFY_EMAIL,
        account.email_verification_ttl_seconds,
    )
    background.add_task(_mailer(request).send, _verification_mail(account, user, token))
    return Accepted(detail=VERIFICATION_SENT)
