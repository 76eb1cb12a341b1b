"""Settings of the server and its authentication (PLATFORM_*), and where it listens."""

from __future__ import annotations

import logging
import os
import secrets
import stat
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.errors import ConfigurationError
from praisonai_platform.core.settings import load

logger = logging.getLogger("praisonai_platform")

MIN_PRODUCTION_SECRET_BYTES = 32
SECRET_FILE_SUFFIX = ".secret"


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLATFORM_", case_sensitive=False, extra="ignore")

    env: Literal["development", "production", "test"] = Field(
        default="development",
        description="`production` refuses to start without a strong PLATFORM_JWT_SECRET and "
        "sends the admin session cookie over HTTPS only.",
    )
    jwt_secret: str | None = Field(
        default=None,
        description="Signs sign-in tokens; at least 32 bytes in production (e.g. `openssl rand "
        "-base64 48`). Unset outside production, `serve` keeps one beside a SQLite database "
        "file (`<database>.secret`, made once, mode 0600) or in a PostgreSQL database's "
        "`server_secrets` table, so sign-ins survive restarts; in memory it makes a random one "
        "per start.",
    )
    jwt_ttl_seconds: int = Field(
        default=7 * 24 * 3600,
        ge=60,
        le=90 * 24 * 3600,
        description="How long a sign-in token is valid.",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body accepted; larger ones are answered 413.",
    )
    api_compat: Literal["none", "0.1.9"] = Field(
        default="none",
        description="`0.1.9` makes /api/v1 answer in praisonai-platform 0.1.9's dialect, for its "
        "clients: issue statuses `in_progress`/`in_review`, new agents `offline` and `active` "
        "shown as `working`, activity actions like `issue.created` by a `member`, default "
        "issue prefix `ISS`, 403 for workspaces you are not a member of or that do not exist, "
        "and members added directly by `user_id`. Both spellings are accepted as input in "
        "either mode.",
    )

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


def secret_file_for(database_file: Path) -> Path:
    """Where the signing secret of a SQLite database file is kept: beside it."""
    return database_file.with_name(database_file.name + SECRET_FILE_SUFFIX)


def persistent_secret(path: Path) -> str:
    """The secret kept in `path`, made on first use.

    The file appears complete or not at all (written under a unique name, then hard-linked into
    place, which fails if it exists), so processes starting together all end up with the secret
    of whichever linked first.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    secret = secrets.token_urlsafe(48)
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as draft_file:
            draft_file.write(secret + "\n")
            draft_file.flush()
            os.fsync(draft_file.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            return read_secret_file(path)
    finally:
        draft.unlink(missing_ok=True)
    return secret


def read_secret_file(path: Path) -> str:
    """The secret in `path`; refuses a file others may read or a secret too short to be safe."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if os.name != "nt" and mode & 0o077:
        raise ConfigurationError(
            f"{path} holds the signing secret but others may read it (mode {mode:04o}); "
            f"run `chmod 600 {path}` or delete it to make a new one (which signs everyone out)"
        )
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret.encode()) < MIN_PRODUCTION_SECRET_BYTES:
        raise ConfigurationError(
            f"{path} holds a signing secret shorter than {MIN_PRODUCTION_SECRET_BYTES} bytes; "
            "delete it to make a new one (which signs everyone out) or set PLATFORM_JWT_SECRET"
        )
    return secret


def load_server_settings() -> ServerSettings:
    """Read the server's PLATFORM_* settings; a bad value raises ConfigurationError naming it."""
    return load(ServerSettings)


class ServeSettings(BaseSettings):
    """Where `praisonai-platform serve` listens, and how much every process logs."""

    model_config = SettingsConfigDict(env_prefix="PLATFORM_", case_sensitive=False, extra="ignore")

    host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Interface the server binds to (`serve --host` wins); 0.0.0.0 for all.",
    )
    port: int = Field(
        default=8000, ge=1, le=65535, description="Port the server binds to (`serve --port` wins)."
    )
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = Field(
        default="info", description="Log level of the server and of workers."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


def load_serve_settings() -> ServeSettings:
    """Read PLATFORM_HOST, PLATFORM_PORT and PLATFORM_LOG_LEVEL."""
    return load(ServeSettings)
