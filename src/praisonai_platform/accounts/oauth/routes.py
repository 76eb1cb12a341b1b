"""Sign in with GitHub, Google or any OpenID Connect provider; list and unlink identities.

The browser goes to /authorize, which remembers the sign-in (state, PKCE verifier, nonce) in the
database and binds it to the browser with a cookie, then on to the provider, which sends it back
to /callback. No database transaction stays open while the provider is being called.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode, urlsplit

import httpx
from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform import __version__
from praisonai_platform.accounts import service as users
from praisonai_platform.accounts import tokens
from praisonai_platform.accounts.oauth import client as oauth_client
from praisonai_platform.accounts.oauth import service as oauth
from praisonai_platform.accounts.oauth.client import OAuthFailed, Profile
from praisonai_platform.accounts.oauth.schemas import (
    IdentityResponse,
    OAuthProviderResponse,
    OAuthTokenResponse,
)
from praisonai_platform.accounts.oauth.settings import OAuthConfig, OAuthProvider, load_oauth_config
from praisonai_platform.accounts.schemas import LinkStartResponse, UserResponse
from praisonai_platform.api.deps import CurrentActor, DbSession, ServerConfig, WriteSession
from praisonai_platform.api.routing import APIRouter, ListPaging
from praisonai_platform.core.errors import NotFound
from praisonai_platform.db import session_scope

router = APIRouter(prefix="/auth", tags=["oauth"])

ProviderName = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9_]{0,49}$", description="A provider's name, e.g. github.")
]
_FAILURES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The sign-in failed: state, code or ID token refused"},
    502: {"description": "The provider could not be reached or answered nonsense"},
}


async def get_oauth_config(request: Request) -> OAuthConfig:
    config = getattr(request.app.state, "oauth_config", None)
    if config is None:
        config = request.app.state.oauth_config = load_oauth_config()
    return config


OAuthSettings = Annotated[OAuthConfig, Depends(get_oauth_config)]


@router.get("/oauth/providers", response_model=list[OAuthProviderResponse])
async def list_providers(request: Request, config: OAuthSettings) -> list[OAuthProviderResponse]:
    """The providers you can sign in with; send the browser to a provider's `authorize_url`."""
    return [
        OAuthProviderResponse(
            name=provider.name,
            display_name=provider.display_name,
            kind=provider.kind.value,
            authorize_url=request.url_for("oauth_authorize", provider=provider.name).path,
        )
        for provider in config.providers.values()
    ]


@router.get(
    "/oauth/{provider}/authorize",
    name="oauth_authorize",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        302: {"description": "On to the provider's sign-in page"},
        429: {"description": "Too many unfinished sign-ins from your address"},
        502: _FAILURES[502],
        503: {"description": "Too many unfinished sign-ins in all"},
    },
)
async def authorize(
    provider: ProviderName, request: Request, session: WriteSession, config: OAuthSettings
) -> RedirectResponse:
    """Start signing in: redirects to the provider."""
    return await redirect_to_provider(
        request, session, config, provider, _callback_url(request, config, provider)
    )


async def redirect_to_provider(
    request: Request,
    session: AsyncSession,
    config: OAuthConfig,
    provider: str,
    redirect_uri: str,
) -> RedirectResponse:
    """A sign-in started (from the API or the web app): the pending state is saved in `session`
    and bound to this browser by a cookie on the callback's path, and the browser is sent on to
    the provider, which will come back to `redirect_uri`."""
    chosen = _provider(config, provider)
    async with _http(request, config) as http:
        started = await oauth_client.authorization_request(
            http, chosen, redirect_uri, _discovery(request, config)
        )
    await oauth.save_pending(
        session,
        provider,
        started,
        config.options.state_ttl_seconds,
        client_address=request.client.host if request.client else None,
        max_pending=config.options.max_pending_sign_ins,
        max_pending_per_address=config.options.max_pending_sign_ins_per_address,
    )
    response = RedirectResponse(started.url, status_code=302)
    response.set_cookie(
        _cookie_name(started.state),
        started.state,
        max_age=config.options.state_ttl_seconds,
        path=urlsplit(redirect_uri).path,
        secure=redirect_uri.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


class Returned(NamedTuple):
    state: str
    pending: oauth.PendingSignIn
    profile: Profile
    link_user_id: str | None


async def provider_returned(
    request: Request,
    config: OAuthConfig,
    provider: str,
    *,
    code: str | None,
    state: str | None,
    error: str | None,
) -> Returned:
    """The browser is back from the provider (at the API's callback or the web app's): the state
    must be the one this browser was given; it is spent, and who signed in is fetched."""
    chosen = _provider(config, provider)
    bound = request.cookies.get(_cookie_name(state)) if state else None
    if not state or not bound or not hmac.compare_digest(bound.encode(), state.encode()):
        raise OAuthFailed(
            "this sign-in was not started in this browser; start again",
            code="invalid_oauth_state",
        )
    # Spent at once, in a transaction of its own: whatever happens next, it cannot be replayed.
    async with session_scope() as own:
        pending = await oauth.consume_pending(own, provider, state)
        link_user_id = await oauth.consume_link(own, provider, state)
    if error is not None:
        raise OAuthFailed(f"the provider did not sign you in: {error}", code="oauth_denied")
    if not code:
        raise OAuthFailed("the provider sent no authorization code", code="oauth_code_missing")
    async with _http(request, config) as http:
        profile = await oauth_client.fetch_profile(
            http,
            chosen,
            code=code,
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
            redirect_uri=pending.redirect_uri,
            discovery=_discovery(request, config),
        )
    return Returned(state, pending, profile, link_user_id)


@router.get(
    "/oauth/{provider}/callback",
    name="oauth_callback",
    response_model=OAuthTokenResponse,
    responses={302: {"description": "To PLATFORM_OAUTH_SUCCESS_REDIRECT_URL"}, **_FAILURES},
)
async def callback(
    provider: ProviderName,
    request: Request,
    response: Response,
    session: WriteSession,
    settings: ServerConfig,
    config: OAuthSettings,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    """Where the provider sends the browser back: signs in (creating or linking the account)."""
    state, pending, profile, link_user_id = await provider_returned(
        request, config, provider, code=code, state=state, error=error
    )
    result = await oauth.sign_in(session, provider, profile, link_user_id)
    token = tokens.issue(settings, result.user.id, result.user.token_version)
    cookie_path = urlsplit(pending.redirect_uri).path
    if config.options.success_redirect_url:
        fragment = urlencode(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": settings.jwt_ttl_seconds,
                "new_user": str(result.new_user).lower(),
            }
        )
        redirect = RedirectResponse(f"{config.options.success_redirect_url}#{fragment}", 302)
        redirect.delete_cookie(_cookie_name(state), path=cookie_path)
        return redirect
    response.delete_cookie(_cookie_name(state), path=cookie_path)
    return OAuthTokenResponse(
        token=token,
        access_token=token,
        expires_in=settings.jwt_ttl_seconds,
        user=UserResponse.model_validate(result.user),
        provider=provider,
        identity_id=result.identity.id,
        new_user=result.new_user,
    )


@router.post(
    "/oauth/{provider}/link",
    response_model=LinkStartResponse,
    responses={409: {"description": "The identity belongs to another account"}},
)
async def link(
    provider: ProviderName,
    request: Request,
    response: Response,
    actor: CurrentActor,
    session: DbSession,
    config: OAuthSettings,
) -> LinkStartResponse:
    """Start linking a provider to your account (signed in with a token): send the browser
    to `authorize_url` (this answer also sets the sign-in's cookie). When the provider sends
    it back, the identity joins your account whatever email it reports."""
    users.require_token_session(actor)
    chosen = _provider(config, provider)
    redirect_uri = _callback_url(request, config, provider)
    async with _http(request, config) as http:
        started = await oauth_client.authorization_request(
            http, chosen, redirect_uri, _discovery(request, config)
        )
    ttl = config.options.state_ttl_seconds
    await oauth.save_pending(
        session,
        provider,
        started,
        ttl,
        client_address=request.client.host if request.client else None,
        max_pending=config.options.max_pending_sign_ins,
        max_pending_per_address=config.options.max_pending_sign_ins_per_address,
    )
    await oauth.save_link(session, provider, started, ttl, actor)
    response.set_cookie(
        _cookie_name(started.state),
        started.state,
        max_age=ttl,
        path=urlsplit(redirect_uri).path,
        secure=redirect_uri.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return LinkStartResponse(authorize_url=started.url)


@router.get("/identities", response_model=list[IdentityResponse])
async def list_identities(
    actor: CurrentActor, session: DbSession, listing: ListPaging
) -> list[IdentityResponse]:
    """The provider identities you can sign in with, oldest first."""
    page = await oauth.list_identities(session, actor, listing.page)
    return [IdentityResponse.model_validate(item) for item in listing.items(page)]


@router.delete("/identities/{identity_id}", status_code=204)
async def unlink_identity(
    identity_id: Annotated[str, Path(max_length=64)], actor: CurrentActor, session: DbSession
) -> Response:
    """Unlink an identity; refused (409) when it is your last way to sign in."""
    await oauth.unlink(session, actor, identity_id)
    return Response(status_code=204)


def _provider(config: OAuthConfig, name: str) -> OAuthProvider:
    provider = config.providers.get(name)
    if provider is None:
        raise NotFound("no such sign-in provider", code="unknown_provider")
    return provider


def _callback_url(request: Request, config: OAuthConfig, provider: str) -> str:
    url = request.url_for("oauth_callback", provider=provider)
    public = config.options.public_url
    return f"{public}{url.path}" if public else str(url)


def _cookie_name(state: str) -> str:
    """One cookie per sign-in, so sign-ins started in two tabs do not spoil each other."""
    return "platform_oauth_" + hashlib.sha256(state.encode()).hexdigest()[:16]


def _discovery(request: Request, config: OAuthConfig) -> oauth_client.DiscoveryCache:
    """The process's cache of providers' discovery documents, made on first use."""
    cache = getattr(request.app.state, "oauth_discovery", None)
    if cache is None:
        cache = oauth_client.DiscoveryCache(config.options.discovery_ttl_seconds)
        request.app.state.oauth_discovery = cache
    return cache


@asynccontextmanager
async def _http(request: Request, config: OAuthConfig) -> AsyncIterator[httpx.AsyncClient]:
    """The client that talks to providers; `app.state.oauth_transport` reroutes it (tests)."""
    async with httpx.AsyncClient(
        transport=getattr(request.app.state, "oauth_transport", None),
        timeout=config.options.http_timeout_seconds,
        headers={"User-Agent": f"praisonai-platform/{__version__}"},
    ) as client:
        yield client
