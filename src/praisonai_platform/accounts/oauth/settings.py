"""Sign-in providers (OAuth 2.0 / OpenID Connect), configured by environment variables.

A provider exists when `PLATFORM_OAUTH_<NAME>_CLIENT_ID` is set. `GITHUB` and `GOOGLE` are known
by name; any other name is a generic OpenID Connect provider and needs
`PLATFORM_OAUTH_<NAME>_ISSUER`. Per provider: `_CLIENT_ID`, `_CLIENT_SECRET`, `_ISSUER`,
`_SCOPES`, `_DISPLAY_NAME`, and for GitHub `_BASE_URL` / `_API_URL` (GitHub Enterprise, or a
local provider in tests).
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from praisonai_platform.config import ConfigurationError

PREFIX = "PLATFORM_OAUTH_"
_CLIENT_ID_SUFFIX = "_CLIENT_ID"
_PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,49}$")


class ProviderKind(enum.StrEnum):
    GITHUB = "github"  # OAuth 2.0 plus GitHub's REST API for the profile and verified emails
    OIDC = "oidc"  # OpenID Connect: discovery, signed ID token


def _check_http_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


class OAuthProvider(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=_PROVIDER_NAME.pattern)
    kind: ProviderKind
    client_id: str = Field(min_length=1, max_length=500)
    client_secret: str | None = None
    display_name: str = Field(min_length=1, max_length=100)
    scopes: tuple[str, ...]
    issuer: str | None = None
    base_url: str | None = None
    api_url: str | None = None

    @field_validator("issuer", "base_url", "api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _check_http_url(value)

    @field_validator("base_url", "api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        # Not the issuer: it is compared exactly, trailing slash included (OpenID Connect).
        return value.rstrip("/") if value else value


class OAuthOptions(BaseModel):
    """Options shared by every provider (`PLATFORM_OAUTH_PUBLIC_URL`, …)."""

    model_config = ConfigDict(frozen=True)

    # The address people reach the server at (behind a proxy, the request's own URL is not it);
    # the providers redirect back to <public_url>/api/v1/auth/oauth/<name>/callback.
    public_url: str | None = None
    # Where a successful sign-in is sent, with the token in the URL fragment; unset: JSON.
    success_redirect_url: str | None = None
    state_ttl_seconds: int = Field(default=600, ge=60, le=3600)
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @field_validator("public_url", "success_redirect_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        return _check_http_url(value or None)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value


@dataclass(frozen=True)
class OAuthConfig:
    options: OAuthOptions = field(default_factory=OAuthOptions)
    providers: Mapping[str, OAuthProvider] = field(default_factory=dict)


_DEFAULTS: dict[str, dict[str, object]] = {
    "github": {
        "kind": ProviderKind.GITHUB,
        "display_name": "GitHub",
        "scopes": ("read:user", "user:email"),
        "base_url": "https://github.com",
        "api_url": "https://api.github.com",
    },
    "google": {
        "kind": ProviderKind.OIDC,
        "display_name": "Google",
        "scopes": ("openid", "email", "profile"),
        "issuer": "https://accounts.google.com",
    },
}
_OIDC_DEFAULTS: dict[str, object] = {
    "kind": ProviderKind.OIDC,
    "scopes": ("openid", "email", "profile"),
}


def load_oauth_config(environ: Mapping[str, str] | None = None) -> OAuthConfig:
    """Options and providers from the environment; a bad value names its variable."""
    environ = os.environ if environ is None else environ
    variables = {
        key.upper(): value for key, value in environ.items() if key.upper().startswith(PREFIX)
    }
    try:
        options = OAuthOptions(
            **{
                name: variables[f"{PREFIX}{name.upper()}"]
                for name in OAuthOptions.model_fields
                if f"{PREFIX}{name.upper()}" in variables
            }
        )
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc, PREFIX)) from None
    providers = {}
    for key in sorted(variables):
        if key.endswith(_CLIENT_ID_SUFFIX) and variables[key].strip():
            env_name = key[len(PREFIX) : -len(_CLIENT_ID_SUFFIX)]
            provider = _provider(env_name, variables)
            providers[provider.name] = provider
    return OAuthConfig(options=options, providers=providers)


def _provider(env_name: str, variables: Mapping[str, str]) -> OAuthProvider:
    name = env_name.lower()
    prefix = f"{PREFIX}{env_name}_"
    if not _PROVIDER_NAME.match(name):
        raise ConfigurationError(
            f"{prefix}CLIENT_ID: a provider name has letters, digits and _ (at most 50)"
        )

    def value(suffix: str) -> str | None:
        raw = variables.get(prefix + suffix, "").strip()
        return raw or None

    fields: dict[str, object] = dict(_DEFAULTS.get(name, _OIDC_DEFAULTS))
    fields.setdefault("display_name", env_name.replace("_", " ").title())
    for suffix in ("ISSUER", "DISPLAY_NAME", "BASE_URL", "API_URL"):
        if (given := value(suffix)) is not None:
            fields[suffix.lower()] = given
    if (scopes := value("SCOPES")) is not None:
        fields["scopes"] = tuple(scope for scope in re.split(r"[\s,]+", scopes) if scope)
    if fields["kind"] is ProviderKind.OIDC and not fields.get("issuer"):
        raise ConfigurationError(
            f"{prefix}ISSUER is not set; an OpenID Connect provider needs its issuer URL"
        )
    try:
        return OAuthProvider(
            name=name, client_id=value("CLIENT_ID"), client_secret=value("CLIENT_SECRET"), **fields
        )
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc, prefix)) from None


def _describe(exc: ValidationError, prefix: str) -> str:
    return "invalid configuration: " + "; ".join(
        f"{prefix}{str(error['loc'][0]).upper()}: {error['msg']}" for error in exc.errors()
    )
