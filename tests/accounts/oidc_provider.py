"""A small OpenID Connect provider (with GitHub's OAuth and REST endpoints too) for tests.

It runs in-process (httpx's ASGI transport, no network): discovery, /authorize that approves the
configured account at once, /token that checks the client, the redirect URI and the PKCE verifier
and accepts each code once, /jwks with an RSA key made for the test, /userinfo, and GitHub-style
/login/oauth/*, /api/user and /api/user/emails.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

CLIENT_ID = "platform-test-client"
CLIENT_SECRET = "platform-test-secret"


@cache
def provider_key() -> RSAKey:
    """The providers' RSA key (made once per test run: generating one takes a while)."""
    return RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})


@dataclass
class Account:
    """The person the provider signs in."""

    sub: str
    email: str | None
    email_verified: bool = True
    name: str = "Ada Lovelace"
    login: str = "ada"
    github_id: int = 4242


@dataclass
class Grant:
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    account: Account


@dataclass
class LocalProvider:
    issuer: str
    account: Account
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    # Knobs for the tests: claims to change in the next ID tokens, a key to sign them with instead.
    id_token_changes: dict[str, Any] = field(default_factory=dict)
    signing_key: RSAKey | None = None
    key: RSAKey = field(default_factory=provider_key)
    codes: dict[str, Grant] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    tokens: dict[str, Account] = field(default_factory=dict)
    token_requests: int = 0

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
                Route("/jwks", self.jwks),
                Route("/userinfo", self.userinfo),
                Route("/login/oauth/authorize", self.authorize),
                Route("/login/oauth/access_token", self.github_token, methods=["POST"]),
                Route("/api/user", self.github_user),
                Route("/api/user/emails", self.github_emails),
            ]
        )

    async def discovery(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        if params.get("client_id") != self.client_id or params.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return JSONResponse({"error": "invalid_request", "error_description": "PKCE"}, 400)
        code = secrets.token_urlsafe(24)
        self.codes[code] = Grant(
            redirect_uri=params["redirect_uri"],
            code_challenge=params["code_challenge"],
            nonce=params.get("nonce"),
            account=self.account,
        )
        query = urlencode({"code": code, "state": params.get("state", "")})
        return RedirectResponse(f"{params['redirect_uri']}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if not self._client_authenticated(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self._redeem(form)
        if grant is None:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access_token = self._access_token(grant.account)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self._id_token(grant),
            }
        )

    async def jwks(self, _request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def userinfo(self, request: Request) -> Response:
        account = self._bearer(request)
        if account is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(
            {
                "sub": account.sub,
                "email": account.email,
                "email_verified": account.email_verified,
                "name": account.name,
                "picture": "https://avatars.example.com/ada.png",
            }
        )

    async def github_token(self, request: Request) -> Response:
        form = await request.form()
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return JSONResponse({"error": "incorrect_client_credentials"})
        grant = self._redeem(form)
        if grant is None:  # GitHub answers 200 with an error field
            return JSONResponse({"error": "bad_verification_code"})
        return JSONResponse(
            {"access_token": self._access_token(grant.account), "token_type": "bearer"}
        )

    async def github_user(self, request: Request) -> Response:
        account = self._bearer(request)
        if account is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse(
            {
                "id": account.github_id,
                "login": account.login,
                "name": account.name,
                "email": None,
                "avatar_url": "https://avatars.example.com/u/4242",
            }
        )

    async def github_emails(self, request: Request) -> Response:
        account = self._bearer(request)
        if account is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        emails = [{"email": "ada-old@example.org", "verified": False, "primary": False}]
        if account.email:
            emails.append(
                {"email": account.email, "verified": account.email_verified, "primary": True}
            )
        return JSONResponse(emails)

    def _client_authenticated(self, request: Request, form: Any) -> bool:
        header = request.headers.get("authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == self.client_id and secret == self.client_secret

    def _redeem(self, form: Any) -> Grant | None:
        """The grant of a code, once: a code seen before, a wrong redirect URI or verifier fail."""
        self.token_requests += 1
        code = str(form.get("code", ""))
        if code in self.used_codes:
            return None
        grant = self.codes.pop(code, None)
        if grant is None:
            return None
        self.used_codes.add(code)
        verifier = str(form.get("code_verifier", ""))
        if form.get("redirect_uri") != grant.redirect_uri or not verifier:
            return None
        if create_s256_code_challenge(verifier) != grant.code_challenge:
            return None
        return grant

    def _access_token(self, account: Account) -> str:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = account
        return token

    def _bearer(self, request: Request) -> Account | None:
        header = request.headers.get("authorization", "")
        return self.tokens.get(header[7:]) if header.startswith("Bearer ") else None

    def _id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.account.sub,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "email": grant.account.email,
            "email_verified": grant.account.email_verified,
            "name": grant.account.name,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        claims.update(self.id_token_changes)
        claims = {key: value for key, value in claims.items() if value is not None}
        key = self.signing_key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


class HostRouter:
    """One ASGI app that hands each request to the provider named by its Host header."""

    def __init__(self, providers: dict[str, LocalProvider]) -> None:
        self.providers = providers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = dict(scope.get("headers", [])).get(b"host", b"").decode()
        provider = self.providers.get(host)
        if provider is None:
            await JSONResponse({"error": f"no provider at {host}"}, 404)(scope, receive, send)
            return
        await provider.app(scope, receive, send)
