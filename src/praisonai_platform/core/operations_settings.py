"""Settings of the server's housekeeping (PLATFORM_*): how it stops, and how often it purges."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load


class OperationsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLATFORM_", case_sensitive=False, extra="ignore")

    shutdown_drain_seconds: float = Field(
        default=0.0,
        ge=0,
        le=300,
        description="On SIGTERM (or SIGINT) the server answers 503 on /ready at once, keeps "
        "serving for this long so that a load balancer stops sending it traffic, and only then "
        "stops accepting connections; requests already in progress always finish. Set it a "
        "little above the load balancer's health-check interval.",
    )
    shutdown_timeout_seconds: int = Field(
        default=30,
        gt=0,
        le=3600,
        description="After it stops accepting connections, the server waits this long for the "
        "requests in progress to finish, then cancels those left and exits.",
    )
    purge_interval_seconds: float = Field(
        default=3600.0,
        ge=0,
        le=7 * 86_400,
        description="How often each server process deletes expired idempotency keys, expired "
        "pending sign-ins, used or expired one-time account tokens, and feed events and finished "
        "webhook deliveries past their retention (as `praisonai-platform db purge` does); 0 turns "
        "the periodic purge off.",
    )
    events_retention_days: float = Field(
        default=7.0,
        gt=0,
        le=3650,
        description="The purge deletes the workspaces' change feed (what event streams and "
        "`/events/feed` send) older than this; a stream resumed from an older event starts "
        "with `event: reset`.",
    )
    webhook_deliveries_retention_days: float = Field(
        default=30.0,
        gt=0,
        le=3650,
        description="The purge deletes webhook deliveries that succeeded or were given up "
        "(`dead`) and have not changed for this long; pending and retrying ones always stay.",
    )


def load_operations_settings() -> OperationsSettings:
    """Read the PLATFORM_* settings above; a bad value raises ConfigurationError naming it."""
    return load(OperationsSettings)
