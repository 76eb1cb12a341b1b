"""The relying-party side of OAuth 2.0 / OpenID Connect: authorization URL, code exchange, profile.

Authorization-code flow with PKCE (S256) and state; for OpenID Connect also a nonce and an ID token
checked against the provider's published keys (signature, iss, aud, exp, nonce, at_hash). GitHub is
plain OAuth 2.0: the profile and the verified emails come from its REST API. The HTTP client is
passed in, so the server can route it (tests use an in-process provider, no network).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from praisonai_platform.accounts.oauth.settings import OAuthProvider, ProviderKind
from praisonai_platform.core.errors import PlatformError
from praisonai_platform.core.limits import MAX_JSON_DEPTH
from praisonai_platform.core.validation import clip_depth, text_deeper_than

# Asymmetric algorithms only: an ID token must be verifiable with the provider's public keys.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
                       "ES512", "EdDSA")  # fmt: skip
CLOCK_LEEWAY_SECONDS = 60
# Google signs some ID tokens with the issuer without its scheme.
_ISSUER_ALIASES = {"https://accounts.google.com": ("accounts.google.com",)}


class OAuthFailed(PlatformError):
    status_code = 400
    default_code = "oauth_failed"


class ProviderUnavailable(PlatformError):
    status_code = 502
    default_code = "oauth_provider_unavailable"


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and the secrets to keep until it comes back."""

    url: str
    state: str
    code_verifier: str
    nonce: str | None
    redirect_uri: str


@dataclass(frozen=True)
class Profile:
    """Who the provider says signed in."""

    provider_user_id: str
    email: str | None
    email_verified: bool
    raw: dict[str, Any]
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    locale: str | None = None
    avatar_url: str | None = None


class DiscoveryCache:
    """Providers' OpenID Connect discovery documents, kept per issuer for `ttl_seconds`: a flood
    of sign-ins does not make the provider answer each one. Concurrent first requests for an
    issuer fetch the document once (the others wait for it); a failed fetch is not kept. One per
    server process (nothing here needs to agree across processes)."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._documents: dict[str, tuple[float, dict[str, Any]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def _fresh(self, issuer: str) -> dict[str, Any] | None:
        kept = self._documents.get(issuer)
        if kept is not None and kept[0] > self._clock():
            return kept[1]
        return None

    async def metadata(self, http: httpx.AsyncClient, provider: OAuthProvider) -> dict[str, Any]:
        assert provider.issuer is not None
        issuer = provider.issuer
        document = self._fresh(issuer)
        if document is not None:
            return document
        lock = self._locks.setdefault(issuer, asyncio.Lock())
        async with lock:
            document = self._fresh(issuer)
            if document is None:
                document = await _metadata(http, provider)
                self._documents[issuer] = (self._clock() + self.ttl_seconds, document)
            return document


async def _discover(
    http: httpx.AsyncClient, provider: OAuthProvider, discovery: DiscoveryCache | None
) -> dict[str, Any]:
    if discovery is None:
        return await _metadata(http, provider)
    return await discovery.metadata(http, provider)


async def authorization_request(
    http: httpx.AsyncClient,
    provider: OAuthProvider,
    redirect_uri: str,
    discovery: DiscoveryCache | None = None,
) -> AuthorizationRequest:
    state, code_verifier = generate_token(43), generate_token(64)
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(provider.scopes),
        "state": state,
        "code_challenge": create_s256_code_challenge(code_verifier),
        "code_challenge_method": "S256",
    }
    nonce = None
    if provider.kind is ProviderKind.OIDC:
        endpoint = (await _discover(http, provider, discovery))["authorization_endpoint"]
        nonce = generate_token(32)
        params["nonce"] = nonce
    else:
        endpoint = f"{provider.base_url}/login/oauth/authorize"
    return AuthorizationRequest(
        url=add_params_to_uri(endpoint, params),
        state=state,
        code_verifier=code_verifier,
        nonce=nonce,
        redirect_uri=redirect_uri,
    )


async def fetch_profile(
    http: httpx.AsyncClient,
    provider: OAuthProvider,
    *,
    code: str,
    code_verifier: str,
    nonce: str | None,
    redirect_uri: str,
    discovery: DiscoveryCache | None = None,
) -> Profile:
    """Exchange the code (once) for tokens and read who signed in."""
    if provider.kind is ProviderKind.GITHUB:
        endpoint = f"{provider.base_url}/login/oauth/access_token"
        token = await _exchange(http, provider, endpoint, code, code_verifier, redirect_uri)
        return await _github_profile(http, provider, token["access_token"])
    metadata = await _discover(http, provider, discovery)
    token = await _exchange(
        http, provider, metadata["token_endpoint"], code, code_verifier, redirect_uri
    )
    claims = await _id_token_claims(http, provider, metadata, token, nonce)
    userinfo: dict[str, Any] = {}
    if metadata.get("userinfo_endpoint"):
        found = await _get_json(http, metadata["userinfo_endpoint"], token["access_token"])
        if isinstance(found, dict) and found.get("sub") == claims["sub"]:
            userinfo = found
    merged = {**userinfo, **claims}
    return Profile(
        provider_user_id=str(claims["sub"]),
        email=_text(merged.get("email")),
        email_verified=merged.get("email_verified") in (True, "true"),
        raw=clip_depth({"id_token": claims, "userinfo": userinfo}, MAX_JSON_DEPTH),
        display_name=_text(merged.get("name")),
        given_name=_text(merged.get("given_name")),
        family_name=_text(merged.get("family_name")),
        locale=_text(merged.get("locale")),
        avatar_url=_text(merged.get("picture")),
    )


async def _metadata(http: httpx.AsyncClient, provider: OAuthProvider) -> dict[str, Any]:
    assert provider.issuer is not None
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = await _get_json(http, url)
    required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    if not isinstance(metadata, dict) or not all(
        isinstance(metadata.get(key), str) for key in required
    ):
        raise ProviderUnavailable(f"{provider.display_name} published incomplete metadata")
    if metadata["issuer"].rstrip("/") != provider.issuer.rstrip("/"):
        raise ProviderUnavailable(f"{provider.display_name} claims another issuer")
    return metadata


async def _exchange(
    http: httpx.AsyncClient,
    provider: OAuthProvider,
    endpoint: str,
    code: str,
    code_verifier: str,
    redirect_uri: str,
) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
        "client_id": provider.client_id,
    }
    auth = None
    if provider.client_secret is not None:
        if provider.kind is ProviderKind.GITHUB:
            form["client_secret"] = provider.client_secret
        else:  # client_secret_basic, the OpenID Connect default
            auth = httpx.BasicAuth(provider.client_id, provider.client_secret)
    response = await _send(
        http, "POST", endpoint, data=form, auth=auth, headers={"Accept": "application/json"}
    )
    body = _json(response)
    if not isinstance(body, dict):
        raise ProviderUnavailable("the provider answered the token request with no JSON object")
    # GitHub reports a refused code with status 200 and an `error` field.
    if "error" in body or response.status_code in (400, 401):
        raise OAuthFailed(
            "the provider refused the authorization code (expired, or already used)",
            code="oauth_code_rejected",
        )
    if response.status_code != 200 or not isinstance(body.get("access_token"), str):
        raise ProviderUnavailable("the provider did not issue an access token")
    return body


async def _id_token_claims(
    http: httpx.AsyncClient,
    provider: OAuthProvider,
    metadata: dict[str, Any],
    token: dict[str, Any],
    nonce: str | None,
) -> dict[str, Any]:
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OAuthFailed("the provider sent no ID token", code="invalid_id_token")
    keys = await _get_json(http, metadata["jwks_uri"])
    supported = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in supported if alg in ID_TOKEN_ALGORITHMS]
    if not algorithms:
        raise ProviderUnavailable(f"{provider.display_name} signs ID tokens with no usable key")
    issuers = [metadata["issuer"], *_ISSUER_ALIASES.get(metadata["issuer"], ())]
    try:
        decoded = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=algorithms)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "values": issuers},
                "aud": {"essential": True, "value": provider.client_id},
                "sub": {"essential": True},
                "exp": {"essential": True},
                "nonce": {"essential": True, "value": nonce},
            },
            {
                "nonce": nonce,
                "client_id": provider.client_id,
                "access_token": token["access_token"],
            },
        )
        claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OAuthFailed(
            f"the ID token is not valid: {_reason(exc)}", code="invalid_id_token"
        ) from None
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OAuthFailed("the ID token names no subject", code="invalid_id_token")
    return dict(claims)


async def _github_profile(
    http: httpx.AsyncClient, provider: OAuthProvider, access_token: str
) -> Profile:
    user = await _get_json(http, f"{provider.api_url}/user", access_token)
    emails = await _get_json(http, f"{provider.api_url}/user/emails", access_token)
    if not isinstance(user, dict) or not isinstance(user.get("id"), int | str):
        raise ProviderUnavailable("GitHub sent no user profile")
    listed = (
        [entry for entry in emails if isinstance(entry, dict)] if isinstance(emails, list) else []
    )
    verified = [e for e in listed if e.get("verified") is True and isinstance(e.get("email"), str)]
    chosen = next((e for e in verified if e.get("primary")), verified[0] if verified else None)
    return Profile(
        provider_user_id=str(user["id"]),
        email=chosen["email"] if chosen else _text(user.get("email")),
        email_verified=chosen is not None,
        raw=clip_depth({"user": user, "emails": listed}, MAX_JSON_DEPTH),
        display_name=_text(user.get("name")) or _text(user.get("login")),
        avatar_url=_text(user.get("avatar_url")),
    )


async def _get_json(http: httpx.AsyncClient, url: str, access_token: str | None = None) -> Any:
    headers = {"Accept": "application/json"}
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    response = await _send(http, "GET", url, headers=headers)
    if response.status_code != 200:
        raise ProviderUnavailable(f"the provider answered {response.status_code} for {url}")
    return _json(response)


async def _send(http: httpx.AsyncClient, method: str, url: str, **options: Any) -> httpx.Response:
    try:
        return await http.request(method, url, **options)
    except httpx.HTTPError as exc:
        raise ProviderUnavailable(f"the provider is unreachable: {type(exc).__name__}") from None


def _json(response: httpx.Response) -> Any:
    # Parsing recurses once per level: a provider's answer nested absurdly deep is refused first.
    if text_deeper_than(response.content, 2 * MAX_JSON_DEPTH):
        raise ProviderUnavailable("the provider answered with JSON nested too deeply")
    try:
        return response.json()
    except ValueError:
        raise ProviderUnavailable("the provider answered with something other than JSON") from None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _reason(exc: Exception) -> str:
    return getattr(exc, "description", None) or str(exc) or type(exc).__name__
