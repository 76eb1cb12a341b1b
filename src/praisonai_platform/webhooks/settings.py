"""Outgoing webhooks (PLATFORM_WEBHOOK_*): where they may go, how long a try lasts, how retries
back off and when a failing subscription is disabled. Read by the server and by workers, which
both send deliveries."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from praisonai_platform.core.settings import load


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLATFORM_WEBHOOK_", case_sensitive=False, extra="ignore"
    )

    sender_enabled: bool = Field(
        default=True,
        description="Run a delivery loop in each server process and each worker. Turn it off "
        "in the processes that should not send (at least one process must).",
    )
    allow_private_targets: bool = Field(
        default=False,
        description="Let subscriptions target loopback, private, link-local and unique-local "
        "addresses (a receiver on the same machine or network). Off, such targets are refused "
        "when a subscription is saved and again, after DNS resolution, before each delivery. "
        "Cloud metadata addresses (169.254.169.254, fd00:ec2::254, …) are refused either way.",
    )
    timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="How long one delivery attempt may take (connecting, sending and reading "
        "the answer) before it counts as failed.",
    )
    retry_base_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="The wait before the first retry of a failed delivery; each further retry "
        "waits twice as long (with up to 20% random jitter), up to "
        "PLATFORM_WEBHOOK_RETRY_MAX_INTERVAL_SECONDS.",
    )
    retry_max_interval_seconds: float = Field(
        default=3600.0,
        gt=0,
        le=86_400,
        description="The longest wait between two attempts of a delivery.",
    )
    retry_for_seconds: float = Field(
        default=86_400.0,
        ge=0,
        le=7 * 86_400,
        description="How long after it was queued a delivery is retried; when its next attempt "
        "would come later, the delivery is dead and its subscription is disabled.",
    )
    disable_after_failures: int = Field(
        default=15,
        ge=1,
        le=10_000,
        description="A subscription whose deliveries failed this many times in a row is "
        "disabled; an activity entry `webhook.disabled` tells the workspace.",
    )
    poll_seconds: float = Field(
        default=2.0,
        gt=0,
        le=300,
        description="How often a delivery loop looks for due deliveries when nothing woke it "
        "(a change in the same process wakes it at once).",
    )
    batch_size: int = Field(
        default=20,
        ge=1,
        le=500,
        description="How many deliveries one delivery loop claims and sends at a time.",
    )

    @model_validator(mode="after")
    def _retries_grow(self) -> WebhookSettings:
        if self.retry_max_interval_seconds < self.retry_base_seconds:
            raise ValueError(
                "PLATFORM_WEBHOOK_RETRY_MAX_INTERVAL_SECONDS must not be shorter than "
                "PLATFORM_WEBHOOK_RETRY_BASE_SECONDS"
            )
        return self

    @property
    def lease_seconds(self) -> float:
        """How long a claimed delivery is held: an attempt's timeout and a margin. A sender that
        died holding it leaves it to another sender once this has passed."""
        return self.timeout_seconds + 30.0


def load_webhook_settings() -> WebhookSettings:
    return load(WebhookSettings)
