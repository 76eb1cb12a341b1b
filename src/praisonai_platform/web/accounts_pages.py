"""Sign in, sign up, sign out and invitations: the web app's account pages.

They go through the same services as the API's /auth and /invitations routes: the same password
checks, the same answers that never reveal whether an email has an account, the same rate limits
(PLATFORM_RATE_LIMIT_AUTH_PATHS covers /sign-in, /sign-up, /forgot-password, /reset-password and
/verify-email; a failed sign-in is answered 401 so it counts as a failure), the same rules for
unverified addresses. The account mails link to /verify-email and /reset-password here.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, BackgroundTasks, Form, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import select

from praisonai_platform.accounts import passwords, tokens
from praisonai_platform.accounts import service as users
from praisonai_platform.accounts.oauth import service as oauth
from praisonai_platform.accounts.oauth.routes import (
    _cookie_name,
    get_oauth_config,
    provider_returned,
    redirect_to_provider,
)
from praisonai_platform.accounts.oauth.settings import OAuthConfig
from praisonai_platform.accounts.routes import (
    register,
    request_password_reset,
    resend_verification,
)
from praisonai_platform.accounts.schemas import PasswordResetRequest, RegisterRequest
from praisonai_platform.accounts.settings import load_account_settings
from praisonai_platform.api.deps import app_setting
from praisonai_platform.core.actors import Actor
from praisonai_platform.core.errors import NotFound, PlatformError, Unauthenticated
from praisonai_platform.core.paging import PageRequest
from praisonai_platform.core.schemas import check_text
from praisonai_platform.db import session_scope
from praisonai_platform.db.models import Invitation, User, Workspace
from praisonai_platform.web.session import (
    LAST_WORKSPACE_COOKIE,
    SESSION_COOKIE,
    MaybeUser,
    OwnSignInUser,
    PageDb,
    PageUser,
    ServerConfig,
    end_session,
    is_https,
    safe_next,
    session_user,
    start_session,
    switcher,
)
from praisonai_platform.web.templating import render
from praisonai_platform.workspaces.invitations import service as invitations

router = APIRouter()

MAX_EMAIL = 320
MAX_NAME = 200
MAX_PASSWORD = 4096
Text = Annotated[str, Form(max_length=MAX_EMAIL)]
Password = Annotated[str, Form(max_length=MAX_PASSWORD)]
Next = Annotated[str, Form(max_length=2000)]
ProviderName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_]{0,49}$")]
# A mailed token, as the API takes it (longer is no token of ours).
MAX_TOKEN = 200
LinkToken = Annotated[str, Query(max_length=MAX_TOKEN)]
FormToken = Annotated[str, Form(max_length=MAX_TOKEN)]


def _providers(request: Request) -> list[dict[str, str]]:
    config: OAuthConfig | None = getattr(request.app.state, "oauth_config", None)
    if config is None:
        return []
    return [{"name": p.name, "display_name": p.display_name} for p in config.providers.values()]


@router.get("/")
async def start(request: Request, user: MaybeUser, session: PageDb) -> Response:
    """Signed in: the last workspace's board (or the first one, or making one); else sign in."""
    if user is None:
        return RedirectResponse("/sign-in", status_code=303)
    workspaces = getattr(request.state, "page_workspaces", None)
    if workspaces is None:
        workspaces = await switcher(session, user)
    if not workspaces:
        return RedirectResponse("/workspaces/new", status_code=303)
    last = request.cookies.get(LAST_WORKSPACE_COOKIE)
    slug = next((w.slug for w in workspaces if w.slug == last), workspaces[0].slug)
    return RedirectResponse(f"/w/{slug}", status_code=303)


def _sign_in_page(
    request: Request, *, next_url: str, email: str = "", error: str | None = None, status: int = 200
) -> Response:
    context = {
        "next": next_url,
        "email": email,
        "error": error,
        "providers": _providers(request),
        "notice": None,
    }
    return render(request, "accounts/sign_in.html", context, status_code=status)


@router.get("/sign-in")
async def sign_in_form(
    request: Request,
    user: MaybeUser,
    next_url: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next_url), status_code=303)
    return _sign_in_page(request, next_url=safe_next(next_url))


@router.post("/sign-in")
async def sign_in(
    request: Request,
    settings: ServerConfig,
    email: Text,
    password: Password,
    next_url: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    """Check the password (no transaction is open meanwhile), then set the session cookie."""
    target = safe_next(next_url)
    try:
        check_text(email)
        check_text(password)
        user = await users.authenticate(email=email, password=password)
    except (ValueError, Unauthenticated):
        return _sign_in_page(
            request, next_url=target, email=email, error="Wrong email or password.", status=401
        )
    response = RedirectResponse(target, status_code=303)
    start_session(request, response, user)
    return response


@router.get("/sign-up")
async def sign_up_form(request: Request, user: MaybeUser) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    context = {"email": "", "name": "", "error": None, "providers": _providers(request)}
    return render(request, "accounts/sign_up.html", context)


@router.post("/sign-up")
async def sign_up(
    request: Request,
    session: PageDb,
    settings: ServerConfig,
    background: BackgroundTasks,
    email: Text,
    password: Password,
    name: Annotated[str, Form(max_length=MAX_NAME)] = "",
) -> Response:
    """Register exactly as POST /api/v1/auth/register does. As there, by default the answer is
    the same whether or not the email has an account (then the new account signs in with its
    password); where the server signs registrations in, a new account is signed in at once."""
    try:
        body = RegisterRequest(email=email, password=password, name=name.strip() or None)
        result = await register(body, request, session, settings, background)
    except (PlatformError, ValueError) as exc:
        detail = exc.detail if isinstance(exc, PlatformError) else "check the email and password"
        await session.rollback()
        form = {"email": email, "name": name, "error": detail, "providers": _providers(request)}
        status = exc.status_code if isinstance(exc, PlatformError) else 422
        return render(request, "accounts/sign_up.html", form, status_code=status)
    if isinstance(result, JSONResponse):  # 202: the same answer for every email
        context: dict[str, Any] = {
            "next": "/",
            "email": email,
            "error": None,
            "providers": _providers(request),
            "notice": "Check your email for a link to verify your address, then sign in with "
            "your password.",
        }
        return render(request, "accounts/sign_in.html", context)
    response = RedirectResponse("/workspaces/new", status_code=303)
    _session_cookie(request, response, result.token, settings.jwt_ttl_seconds)
    return response


def _session_cookie(request: Request, response: Response, token: str, ttl: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ttl,
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


@router.post("/sign-out")
async def sign_out(request: Request, session: PageDb) -> Response:
    """Sign out everywhere, as POST /api/v1/auth/logout does: this browser's session, the
    account's other sessions and its API tokens end at once (API keys are not affected)."""
    user = await session_user(request, session)
    if user is not None:
        await users.end_sessions(session, user.id)
    response = RedirectResponse("/sign-in", status_code=303)
    end_session(request, response)
    return response


# Your account: change the password, ask for a new verification link.


@router.get("/account")
async def account_page(request: Request, user: PageUser) -> Response:
    context = {"error": None, "notice": NOTICES.get(request.query_params.get("notice", ""))}
    return render(request, "accounts/account.html", context)


NOTICES = {
    "password": "Password changed. Every other session has ended.",
    "verification": "A new link is on its way to your address; earlier links no longer work.",
}


@router.post("/account/verification")
async def resend_verification_link(
    request: Request,
    user: OwnSignInUser,
    session: PageDb,
    settings: ServerConfig,
    background: BackgroundTasks,
) -> Response:
    """As POST /api/v1/auth/verify-email/resend."""
    try:
        await resend_verification(request, Actor.for_user(user), session, settings, background)
    except PlatformError as exc:
        await session.rollback()
        context = {"error": exc.detail, "notice": None}
        return render(request, "accounts/account.html", context, status_code=exc.status_code)
    return RedirectResponse("/account?notice=verification", status_code=303)


# The links of account mails: verify the address, choose a new password.

INCOMPLETE_LINK = "This link is incomplete: open the whole link from the mail."


def _link_page(request: Request, template: str, token: str, **context: Any) -> Response:
    """The page a mailed link opens: its form carries the token on; 400 without one."""
    error = None if token else INCOMPLETE_LINK
    context.update(token=token, error=error)
    return render(request, template, context, status_code=200 if token else 400)


@router.get("/verify-email")
async def verify_email_page(request: Request, token: LinkToken = "") -> Response:
    """The verification mail's link. Only the button verifies: a mail scanner that opens the
    link does not use up its token."""
    return _link_page(request, "accounts/verify_email.html", token, verified=None)


@router.post("/verify-email")
async def verify_email(
    request: Request,
    session: PageDb,
    settings: ServerConfig,
    token: FormToken,
) -> Response:
    """As POST /api/v1/auth/verify-email."""
    try:
        user = await users.verify_email(session, settings.signing_secret(), token)
    except PlatformError as exc:
        await session.rollback()
        context = {"token": None, "error": exc.detail, "verified": None}
        return render(request, "accounts/verify_email.html", context, status_code=exc.status_code)
    signed_in = await session_user(request, session)
    context = {"verified": user.email, "next": "/" if signed_in is not None else "/sign-in"}
    return render(request, "accounts/verify_email.html", context)


RESET_NOTICE = (
    "If an account uses this address, a message with a link to choose a new password is on "
    "its way to it."
)


@router.get("/forgot-password")
async def forgot_password_form(request: Request) -> Response:
    context = {"email": "", "error": None, "notice": None}
    return render(request, "accounts/forgot_password.html", context)


@router.post("/forgot-password")
async def forgot_password(
    request: Request,
    settings: ServerConfig,
    background: BackgroundTasks,
    email: Text,
) -> Response:
    """As POST /api/v1/auth/password-reset: the same answer whether or not an account uses the
    address."""
    try:
        body = PasswordResetRequest(email=email)
    except ValueError:
        context = {"email": "", "error": "Enter the email address of your account.", "notice": None}
        return render(request, "accounts/forgot_password.html", context, status_code=422)
    await request_password_reset(body, request, settings, background)
    context = {"email": email, "error": None, "notice": RESET_NOTICE}
    return render(request, "accounts/forgot_password.html", context)


@router.get("/reset-password")
async def reset_password_form(request: Request, token: LinkToken = "") -> Response:
    return _link_page(request, "accounts/reset_password.html", token)


@router.post("/reset-password")
async def reset_password(
    request: Request,
    session: PageDb,
    settings: ServerConfig,
    token: FormToken,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """As POST /api/v1/auth/password-reset/confirm: every session ends, the address counts as
    verified, and this browser is signed in. The password is hashed before the transaction
    starts (no write lock is held meanwhile)."""
    try:
        check_text(password)
        account = app_setting(request, "account_settings", load_account_settings)
        users.check_password(password, account.min_length)
        password_hash = await passwords.hash_password(password)
        user = await users.reset_password(session, settings.signing_secret(), token, password_hash)
    except (PlatformError, ValueError) as exc:
        await session.rollback()
        detail = exc.detail if isinstance(exc, PlatformError) else "check the new password"
        status = exc.status_code if isinstance(exc, PlatformError) else 422
        context = {"token": token, "error": detail}
        return render(request, "accounts/reset_password.html", context, status_code=status)
    response = RedirectResponse("/", status_code=303)
    start_session(request, response, user)
    return response


@router.post("/account/password")
async def change_password(
    request: Request,
    user: OwnSignInUser,
    session: PageDb,
    settings: ServerConfig,
    current_password: Password,
    new_password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """As POST /api/v1/auth/password: the current password is required, every other session
    (and API token) ends, and this browser stays signed in with a new session."""
    user_id, password_hash = user.id, user.password_hash
    await session.commit()  # no transaction (nor SQLite's write lock) while hashing
    try:
        if not await passwords.verify_password(current_password, password_hash):
            raise Unauthenticated("the current password is wrong", code="invalid_credentials")
        account = app_setting(request, "account_settings", load_account_settings)
        users.check_password(new_password, account.min_length)
        new_hash = await passwords.hash_password(new_password)
    except PlatformError as exc:
        context = {"error": exc.detail, "notice": None}
        return render(request, "accounts/account.html", context, status_code=exc.status_code)
    version = await users.set_password(session, user_id, new_hash, revoke_api_keys=False)
    response = RedirectResponse("/account?notice=password", status_code=303)
    token = tokens.issue(settings, user_id, version)
    _session_cookie(request, response, token, settings.jwt_ttl_seconds)
    return response


# Signing in with a provider: the same steps as /api/v1/auth/oauth/{provider}/authorize and
# /callback, but the callback here sets the session cookie. Register this callback URL
# (<public URL>/sign-in/oauth/<provider>/callback) with the provider beside the API's.


def _web_callback_url(request: Request, config: OAuthConfig, provider: str) -> str:
    url = request.url_for("web_oauth_callback", provider=provider)
    public = config.options.public_url
    return f"{public}{url.path}" if public else str(url)


@router.get("/sign-in/oauth/{provider}")
async def oauth_start(provider: ProviderName, request: Request) -> Response:
    config = await get_oauth_config(request)
    async with session_scope() as session:
        return await redirect_to_provider(
            request, session, config, provider, _web_callback_url(request, config, provider)
        )


@router.get("/sign-in/oauth/{provider}/callback", name="web_oauth_callback")
async def oauth_callback(
    provider: ProviderName,
    request: Request,
    settings: ServerConfig,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    config = await get_oauth_config(request)
    state, pending, profile, link_user_id = await provider_returned(
        request, config, provider, code=code, state=state, error=error
    )
    async with session_scope() as session:
        result = await oauth.sign_in(session, provider, profile, link_user_id)
        token = tokens.issue(settings, result.user.id, result.user.token_version)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(_cookie_name(state), path=urlsplit(pending.redirect_uri).path)
    _session_cookie(request, response, token, settings.jwt_ttl_seconds)
    return response


# Invitations, as their invitee sees them.

INVITATIONS_SHOWN = 100


@router.get("/invitations")
async def my_invitations(request: Request, user: PageUser, session: PageDb) -> Response:
    page = await invitations.list_received(
        session, Actor.for_user(user), PageRequest(limit=INVITATIONS_SHOWN)
    )
    return render(
        request,
        "accounts/invitations.html",
        {"received": page.items, "verified": user.email_verified_at is not None},
    )


@router.get("/invitations/{invitation_id}")
async def invitation_page(
    invitation_id: Annotated[str, Path(max_length=64)],
    request: Request,
    user: PageUser,
    session: PageDb,
) -> Response:
    """One invitation to the signed-in user's address (anyone else's: not found)."""
    row = (
        await session.execute(
            select(Invitation, Workspace.name, User.name)
            .join(Workspace, Workspace.id == Invitation.workspace_id)
            .outerjoin(User, User.id == Invitation.invited_by_id)
            .where(Invitation.id == invitation_id, Invitation.email == user.email)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("invitation not found")
    context: dict[str, Any] = {
        "invitation": row[0],
        "workspace_name": row[1],
        "invited_by_name": row[2],
        "verified": user.email_verified_at is not None,
    }
    return render(request, "accounts/invitation.html", context)


@router.post("/invitations/{invitation_id}/accept")
async def accept_invitation(
    invitation_id: Annotated[str, Path(max_length=64)], user: PageUser, session: PageDb
) -> Response:
    member = await invitations.accept(session, Actor.for_user(user), invitation_id)
    slug = await session.scalar(select(Workspace.slug).where(Workspace.id == member.workspace_id))
    return RedirectResponse(f"/w/{slug}", status_code=303)


@router.post("/invitations/{invitation_id}/decline")
async def decline_invitation(
    invitation_id: Annotated[str, Path(max_length=64)], user: PageUser, session: PageDb
) -> Response:
    await invitations.decline(session, Actor.for_user(user), invitation_id)
    return RedirectResponse("/invitations", status_code=303)
