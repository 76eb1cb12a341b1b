"""Settings of the server's HTTP face: its public address and which web origins may call it."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load


class HttpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLATFORM_", case_sensitive=False, extra="ignore")

    public_url: str | None = Field(
        default=None,
        description="The address people reach the server at, e.g. https://tracker.example.com. "
        "When it is https, every response carries Strict-Transport-Security. Unset: "
        "PLATFORM_OAUTH_PUBLIC_URL decides the same.",
    )
    hsts_max_age_seconds: int = Field(
        default=365 * 24 * 3600,
        ge=0,
        le=2 * 365 * 24 * 3600,
        description="How long browsers remember to use HTTPS only (Strict-Transport-Security "
        "max-age), when the public URL is https.",
    )
    cors_origins: str = Field(
        default="",
        description="Web origins (scheme://host[:port]) whose pages may call the API from a "
        "browser, separated by commas; `*` for any. Empty: none (no CORS headers are sent). "
        "Browsers never send credentials cross-origin here: pages use bearer tokens.",
    )

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in _split(value):
            parts = urlsplit(origin)
            if origin != "*" and (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or parts.path
                or parts.query
                or parts.fragment
            ):
                raise ValueError(
                    f"{origin!r} is not an origin: scheme://host[:port], no path, or `*`"
                )
        return value

    @property
    def origins(self) -> list[str]:
        """The allowed origins, as listed (none: CORS off)."""
        return _split(self.cors_origins)


def _split(value: str) -> list[str]:
    return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]


def load_http_settings() -> HttpSettings:
    """Read PLATFORM_PUBLIC_URL, PLATFORM_CORS_ORIGINS, …; a bad value names its variable."""
    return load(HttpSettings)
