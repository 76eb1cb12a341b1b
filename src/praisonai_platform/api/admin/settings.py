"""Settings of the admin UI (PLATFORM_ADMIN_*)."""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.config import ConfigurationError


class AdminSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLATFORM_ADMIN_", case_sensitive=False, extra="ignore"
    )

    enabled: bool = True
    # Send the session cookie over HTTPS only; unset: only when PLATFORM_ENV=production.
    cookie_secure: bool | None = None
    session_max_age_seconds: int = Field(default=8 * 3600, ge=300, le=30 * 24 * 3600)


def load_admin_settings() -> AdminSettings:
    try:
        return AdminSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"PLATFORM_ADMIN_{str(error['loc'][0]).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None
