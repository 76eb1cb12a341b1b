"""Timings of the run queue (PLATFORM_RUN_*), shared by the server and the workers.

Every process that claims or reports on runs must agree on them, so they come from the
environment rather than from a command-line flag of one process.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load


class RunSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLATFORM_RUN_", case_sensitive=False, extra="ignore"
    )

    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="A claim holds a run this long; every heartbeat extends it by as much "
        "again. A run whose lease lapses goes back to the queue.",
    )
    heartbeat_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3_600,
        description="How often a worker extends the leases of its runs; shorter than "
        "PLATFORM_RUN_LEASE_SECONDS.",
    )
    worker_stale_seconds: float = Field(
        default=30.0,
        gt=0,
        le=86_400,
        description="A worker whose last heartbeat is older than this is listed as stale.",
    )
    nonce_ttl_seconds: float = Field(
        default=24 * 3600,
        gt=0,
        le=30 * 86_400,
        description="How long an Idempotency-Key keeps returning the first request's result.",
    )

    @model_validator(mode="after")
    def _heartbeats_outpace_leases(self) -> RunSettings:
        if self.heartbeat_seconds >= self.lease_seconds:
            raise ValueError(
                "PLATFORM_RUN_HEARTBEAT_SECONDS must be shorter than PLATFORM_RUN_LEASE_SECONDS, "
                "or every run would be reclaimed while its worker is healthy"
            )
        return self

    @cached_property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    @cached_property
    def worker_stale_after(self) -> timedelta:
        return timedelta(seconds=self.worker_stale_seconds)

    @cached_property
    def nonce_ttl(self) -> timedelta:
        return timedelta(seconds=self.nonce_ttl_seconds)


def load_run_settings() -> RunSettings:
    """Read PLATFORM_RUN_*; a bad value raises ConfigurationError naming the variable."""
    return load(RunSettings)
