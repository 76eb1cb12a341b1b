"""Settings of the live event stream (PLATFORM_EVENTS_*), read by the server."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load


class EventStreamSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLATFORM_EVENTS_", case_sensitive=False, extra="ignore"
    )

    keepalive_seconds: float = Field(
        default=15.0,
        gt=0,
        le=60,
        description="An open event stream with nothing to say sends a comment line this often, "
        "so that proxies and load balancers do not close it as idle.",
    )
    poll_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="How often each server process also looks for new events itself, as a "
        "safety net: on PostgreSQL events reach open streams at once through LISTEN/NOTIFY; "
        "with SQLite, an event written by another process (another server worker, a worker, "
        "the command line) reaches them within this time.",
    )
    access_check_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="An open event stream checks this often (and whenever events arrive) that "
        "its caller may still read the workspace: a removed member's, a revoked key's or a "
        "signed-out session's stream ends.",
    )
    max_streams_per_caller: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="How many event streams one user or agent may hold open at once on each "
        "server process; one more is answered 429 `too_many_streams`.",
    )


def load_event_stream_settings() -> EventStreamSettings:
    """Read the PLATFORM_EVENTS_* settings above; a bad value raises ConfigurationError."""
    return load(EventStreamSettings)
