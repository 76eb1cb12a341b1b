"""Settings of the command line and the Python SDK on a user's machine (PLATFORM_*)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load


class ClientSettings(BaseSettings):
    """What `praisonai-platform` commands and `PlatformClient` read on the user's side."""

    model_config = SettingsConfigDict(env_prefix="PLATFORM_", case_sensitive=False, extra="ignore")

    url: str | None = Field(
        default=None,
        description="Server the SDK and the CLI talk to (`--url` wins); else the URL signed in "
        "to, else http://127.0.0.1:8000. A URL ending in /api/v1 is accepted too.",
    )
    token: SecretStr | None = Field(
        default=None,
        description="Sign-in token for the SDK and the CLI; wins over the stored sign-in.",
    )
    api_key: SecretStr | None = Field(
        default=None, description="API key (ppk_…) for the SDK and the CLI."
    )
    workspace: str | None = Field(
        default=None,
        description="CLI: the workspace by id, slug, issue prefix or name (`--workspace` wins).",
    )
    config_dir: str | None = Field(
        default=None,
        description="CLI: directory of the stored sign-in (session.json). Unset: "
        "$XDG_CONFIG_HOME/praisonai-platform, else %APPDATA%/praisonai-platform on Windows, "
        "else ~/.config/praisonai-platform.",
    )
    password: SecretStr | None = Field(
        default=None,
        description="`praisonai-platform login` and `register`: the password, for scripts "
        "(`--password-stdin` wins); unset: asked for, unseen, at a terminal.",
    )
    user_password: SecretStr | None = Field(
        default=None,
        description="`praisonai-platform user create`: the new user's password; unset: asked "
        "for, unseen.",
    )


def load_client_settings() -> ClientSettings:
    """Read the client-side PLATFORM_* variables, as they are now."""
    return load(ClientSettings)
