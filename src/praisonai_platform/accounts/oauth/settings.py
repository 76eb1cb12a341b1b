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
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.errors import ConfigurationError
from praisonai_platform.core.settings import describe, load

PREFIX = "PLATFORM_OAUTH_"
_CLIENT_ID_SUFFIX = "_CLIENT_ID"
_PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,49}$")

# What each provider reads from PLATFORM_OAUTH_<NAME>_<SUFFIX>; listed in the configuration
# reference.
PROVIDER_VARIABLES: dict[str, str] = {
    "CLIENT_ID": "The client id the provider issued; setting it adds the provider.",
    "CLIENT_SECRET": "The client secret the provider issued.",
    "ISSUER": "OpenID Connect issuer URL, compared exactly (required for providers other than "
    "GITHUB and GOOGLE).",
    "SCOPES": "Scopes to ask for, separated by spaces or commas (defaults depend on the provider).",
    "DISPLAY_NAME": "Name on the sign-in button (default: from <NAME>).",
    "BASE_URL": "GitHub only: the web address, for GitHub Enterprise (default https://github.com).",
    "API_URL": "GitHub only: the REST API address (default https://api.github.com).",
}


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


class OAuthOptions(BaseSettings):
    """Options shared by every provider (`PLATFORM_OAUTH_PUBLIC_URL`, …)."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, case_sensitive=False, extra="ignore", frozen=True
    )

    public_url: str | None = Field(
        default=None,
        description="The address people reach the server at (behind a proxy, the request's own "
        "URL is not it); providers redirect back to "
        "<public_url>/api/v1/auth/oauth/<name>/callback.",
    )
    success_redirect_url: str | None = Field(
        default=None,
        description="Where a successful sign-in is sent, with the token in the URL fragment. "
        "Unset: the callback answers JSON.",
    )
    state_ttl_seconds: int = Field(
        default=600, ge=60, le=3600, description="How long a started sign-in may take."
    )
    http_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Timeout of each request to a provider."
    )
    discovery_ttl_seconds: int = Field(
        default=3600,
        ge=0,
        le=7 * 24 * 3600,
        description="How long each server process keeps an OpenID Connect provider's "
        "discovery document before fetching it again (0: fetch it for every sign-in).",
    )
    max_pending_sign_ins: int = Field(
        default=10_000,
        ge=1,
        description="Sign-ins started and not yet finished (nor expired), all providers and "
        "clients together; beyond it /authorize answers 503 `oauth_busy`.",
    )
    max_pending_sign_ins_per_address: int = Field(
        default=20,
        ge=1,
        description="Sign-ins started and not yet finished (nor expired) from one client "
        "address; beyond it /authorize answers 429 `too_many_pending_sign_ins`.",
    )

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
    options: OAuthOptions = field(default_factory=lambda: load(OAuthOptions, {}))
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
    options = load(OAuthOptions, variables)
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
        return OAuthProvider.model_validate(
            {
                "name": name,
                "client_id": value("CLIENT_ID"),
                "client_secret": value("CLIENT_SECRET"),
                **fields,
            }
        )
    except ValidationError as exc:
        raise ConfigurationError(describe(exc, prefix)) from None
