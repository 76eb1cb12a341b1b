"""The web app's sign-in session: a cookie, and the dependencies pages use to find who is asking.

The cookie holds a signed token like the API's (user id and the user's token version), HttpOnly
and SameSite=Lax, Secure over https (or behind an https public address). Because it carries the
token version, signing out anywhere, a password change or reset ends it at once, as it ends the
API's tokens. Only the web app reads it: the API takes tokens in the Authorization header only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.accounts import service as users
from praisonai_platform.accounts import tokens
from praisonai_platform.accounts.settings import load_account_settings
from praisonai_platform.api.deps import DbSession, app_setting, get_server_settings
from praisonai_platform.core.actors import Actor, Membership
from praisonai_platform.core.errors import Forbidden, NotFound, Unauthenticated
from praisonai_platform.core.server_settings import ServerSettings, load_server_settings
from praisonai_platform.db.models import Member, User, Workspace
from praisonai_platform.workspaces.permissions import WORKSPACE_NOT_FOUND

SESSION_COOKIE = "platform_session"
LAST_WORKSPACE_COOKIE = "platform_workspace"
READ_METHODS = frozenset({"GET", "HEAD"})

PageDb = DbSession
"""The request's database session, as the API has it: read-only for GET and HEAD, writing (and
committed before the answer is sent) for POST."""


class SignInRequired(Exception):
    """Raised by `page_user` when nobody is signed in: the web app answers with a redirect to
    the sign-in page (an `HX-Redirect` for htmx requests)."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def sign_in_url(next_url: str | None = None) -> str:
    if not next_url or next_url == "/":
        return "/sign-in"
    return f"/sign-in?next={quote(next_url, safe='/')}"


def safe_next(value: str | None) -> str:
    """A local path to go on to after signing in; anything else (another site, a scheme,
    `//host`, a backslash trick) is `/`."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
        or len(value) > 2000
    ):
        return "/"
    return value


def is_https(request: Request) -> bool:
    """Whether cookies must be Secure: the request came over https, or the server's public
    address is https (it runs behind a proxy that ends TLS)."""
    if request.url.scheme == "https":
        return True
    state = request.app.state
    for setting in ("http_settings", "oauth_config"):
        value = getattr(state, setting, None)
        if value is None:
            continue
        public = getattr(value, "public_url", None) or getattr(
            getattr(value, "options", None), "public_url", None
        )
        if isinstance(public, str) and public.startswith("https://"):
            return True
    return False


def _settings(request: Request) -> ServerSettings:
    return app_setting(request, "server_settings", load_server_settings)


def start_session(request: Request, response: Response, user: User) -> None:
    """Sign `user` in on this browser: the session cookie, valid as long as an API token."""
    settings = _settings(request)
    response.set_cookie(
        SESSION_COOKIE,
        tokens.issue(settings, user.id, user.token_version),
        max_age=settings.jwt_ttl_seconds,
        path="/",
        secure=is_https(request),
        httponly=True,
        samesite="lax",
    )


def end_session(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=is_https(request), httponly=True, samesite="lax"
    )


async def session_user(request: Request, session: AsyncSession) -> User | None:
    """The signed-in user of this browser, or None (no cookie, a bad or expired one, an ended
    session, a deactivated account)."""
    cached = getattr(request.state, "page_user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 4096:
        return None
    try:
        claims = tokens.read(_settings(request), token)
        user = await users.active_user(session, claims.user_id, claims.token_version)
    except Unauthenticated:
        return None
    request.state.page_user = user
    request.state.page_person = Person(
        id=user.id,
        name=user.name,
        email=user.email,
        display_name=user.display_name,
        email_verified=user.email_verified_at is not None,
    )
    request.state.page_workspaces = await switcher(session, user)
    return user


@dataclass(frozen=True, slots=True)
class Person:
    """The signed-in user as pages show them: plain values, still there when an error page is
    rendered after the request's transaction has ended."""

    id: str
    name: str
    email: str
    display_name: str | None
    email_verified: bool


@dataclass(frozen=True, slots=True)
class WorkspaceLink:
    slug: str
    name: str


SWITCHER_LIMIT = 100


async def switcher(session: AsyncSession, user: User) -> list[WorkspaceLink]:
    """The user's workspaces for the switcher, by name."""
    rows = await session.execute(
        select(Workspace.slug, Workspace.name)
        .join(Member, Member.workspace_id == Workspace.id)
        .where(Member.user_id == user.id)
        .order_by(Workspace.name, Workspace.slug)
        .limit(SWITCHER_LIMIT)
    )
    return [WorkspaceLink(slug=row.slug, name=row.name) for row in rows]


def _here(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


async def optional_user(request: Request, session: PageDb) -> User | None:
    return await session_user(request, session)


async def _signed_in(request: Request, session: AsyncSession) -> User:
    user = await session_user(request, session)
    if user is None:
        raise SignInRequired(_here(request) if request.method in READ_METHODS else "/")
    return user


def _refuse_unverified_changes(request: Request, user: User) -> None:
    """PLATFORM_UNVERIFIED_ACCOUNTS=restrict applies as on the API: until its address is
    verified an account may look and manage its own sign-in, and change nothing else."""
    if request.method in READ_METHODS or user.email_verified_at is not None:
        return
    account = app_setting(request, "account_settings", load_account_settings)
    if account.unverified_accounts == "restrict":
        raise Forbidden(
            "verify your email address first: follow the link we sent you",
            code="email_not_verified",
        )


async def page_user(request: Request, session: PageDb) -> User:
    """The signed-in user; anybody else is sent to the sign-in page (and back here after).
    An unverified account is refused changes where the server restricts it."""
    user = await _signed_in(request, session)
    _refuse_unverified_changes(request, user)
    return user


async def user_managing_own_sign_in(request: Request, session: PageDb) -> User:
    """The signed-in user, verified or not, for the forms that manage their own sign-in (a new
    verification link, a new password). Like the API's /auth routes they stay open to an
    unverified account where the server restricts it: one whose link expired could otherwise
    never verify its address."""
    return await _signed_in(request, session)


PageUser = Annotated[User, Depends(page_user)]
OwnSignInUser = Annotated[User, Depends(user_managing_own_sign_in)]
MaybeUser = Annotated[User | None, Depends(optional_user)]
ServerConfig = Annotated[ServerSettings, Depends(get_server_settings)]


async def workspace_actor(
    session: AsyncSession, user: User, slug_or_id: str
) -> tuple[Actor, Workspace]:
    """The workspace named by its slug (or id) and the `Actor` the REST API would build for this
    user there (a session, with the membership loaded), so services check the same permissions.
    Not a member, or no such workspace: NotFound (nothing is revealed)."""
    if len(slug_or_id) > 100:
        raise NotFound(WORKSPACE_NOT_FOUND)
    row = (
        await session.execute(
            select(Workspace, Member)
            .join(Member, (Member.workspace_id == Workspace.id) & (Member.user_id == user.id))
            .where(or_(Workspace.slug == slug_or_id, Workspace.id == slug_or_id))
            .order_by((Workspace.slug == slug_or_id).desc())  # a slug wins over an id
            .limit(1)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(WORKSPACE_NOT_FOUND)
    workspace, member = row.Workspace, row.Member
    return Actor.for_user(user, Membership(workspace.id, workspace, member)), workspace


@dataclass(frozen=True, slots=True)
class WorkspaceContext:
    """A workspace page's caller: the user, the `Actor` services take, and the workspace."""

    user: User
    actor: Actor
    workspace: Workspace


async def page_workspace(
    slug: str, request: Request, user: PageUser, session: PageDb
) -> WorkspaceContext:
    """For routes under `/w/{slug}`: the signed-in member's context in that workspace."""
    actor, workspace = await workspace_actor(session, user, slug)
    return WorkspaceContext(user=user, actor=actor, workspace=workspace)


PageWorkspace = Annotated[WorkspaceContext, Depends(page_workspace)]
