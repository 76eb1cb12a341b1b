"""Settings of the server and its authentication (PLATFORM_*)."""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.config import ConfigurationError

logger = logging.getLogger("praisonai_platform")

MIN_PRODUCTION_SECRET_BYTES = 32


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLATFORM_", case_sensitive=False, extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    jwt_secret: str | None = None
    jwt_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60, le=90 * 24 * 3600)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    def signing_secret(self) -> str:
        """The JWT secret; refuses to run production without a strong one."""
        if self.jwt_secret and (
            self.env != "production" or len(self.jwt_secret.encode()) >= MIN_PRODUCTION_SECRET_BYTES
        ):
            return self.jwt_secret
        if self.env == "production":
            problem = "is not set" if not self.jwt_secret else "is shorter than 32 bytes"
            raise ConfigurationError(
                f"PLATFORM_JWT_SECRET {problem}; PLATFORM_ENV=production needs a secret of at "
                "least 32 bytes, e.g. the output of `openssl rand -base64 48`"
            )
        return _ephemeral_secret()


@lru_cache(maxsize=1)
def _ephemeral_secret() -> str:
    logger.warning(
        "PLATFORM_JWT_SECRET is not set: using a random secret, so sign-ins do not survive a "
        "restart and do not work across several server processes"
    )
    return secrets.token_urlsafe(48)


def load_server_settings() -> ServerSettings:
    try:
        return ServerSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"PLATFORM_{str(error['loc'][0]).upper()}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None
