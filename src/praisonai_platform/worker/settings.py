"""Settings of the worker process (PLATFORM_WORKER_*). The queue's timings, which every process
must agree on, are PLATFORM_RUN_* (services/run_settings.py)."""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.config import ConfigurationError


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLATFORM_WORKER_", case_sensitive=False, extra="ignore"
    )

    # How long an idle worker waits before asking the queue again.
    poll_seconds: float = Field(default=1.0, gt=0, le=300)
    # On SIGTERM, how long running handlers may take to finish before their runs are released.
    shutdown_grace_seconds: float = Field(default=30.0, ge=0, le=3600)
    # How often expired leases are reclaimed and expired idempotency keys purged.
    maintenance_seconds: float = Field(default=15.0, gt=0, le=86_400)


def load_worker_settings() -> WorkerSettings:
    try:
        return WorkerSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"PLATFORM_WORKER_{str(error['loc'][0]).upper()}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None
