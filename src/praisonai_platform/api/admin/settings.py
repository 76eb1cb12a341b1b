"""Settings of the admin UI (PLATFORM_ADMIN_*)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load


class AdminSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLATFORM_ADMIN_", case_sensitive=False, extra="ignore"
    )

    enabled: bool = Field(default=True, description="Serve the admin UI at /admin.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Send the admin session cookie over HTTPS only. Unset: only when "
        "PLATFORM_ENV=production.",
    )
    session_max_age_seconds: int = Field(
        default=8 * 3600,
        ge=300,
        le=30 * 24 * 3600,
        description="How long an admin sign-in lasts.",
    )


def load_admin_settings() -> AdminSettings:
    """Read PLATFORM_ADMIN_*; a bad value raises ConfigurationError naming the variable."""
    return load(AdminSettings)
