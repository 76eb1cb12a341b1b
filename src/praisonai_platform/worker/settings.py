"""Settings of the worker process (PLATFORM_WORKER_*). The queue's timings, which every process
must agree on, are PLATFORM_RUN_* (runs/settings.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLATFORM_WORKER_", case_sensitive=False, extra="ignore"
    )

    poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=300,
        description="How long an idle worker waits before asking the queue again.",
    )
    shutdown_grace_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="On SIGTERM, how long running handlers may take to finish before their "
        "runs are released back to the queue.",
    )
    maintenance_seconds: float = Field(
        default=15.0,
        gt=0,
        le=86_400,
        description="How often the worker reclaims lapsed leases and purges expired "
        "idempotency keys.",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="How the worker logs each claim, completion, failure, retry and reclaim "
        "(run id, issue key, duration): text lines, or json for one JSON object per line.",
    )


def load_worker_settings() -> WorkerSettings:
    """Read PLATFORM_WORKER_*; a bad value raises ConfigurationError naming the variable."""
    return load(WorkerSettings)
