"""Outgoing webhooks: subscriptions (URL, event types, signing secret) and their delivery log."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from praisonai_platform.core.schemas import ResponseSchema, Schema

MAX_URL = 2048
MAX_EVENT_TYPES = 50
# `*`, an exact type (`issue.created`) or every type of an entity (`issue.*`).
EVENT_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]{0,39}\.(\*|[a-z][a-z0-9_]{0,38}))$")
DeliveryStateName = Literal["pending", "in_flight", "succeeded", "failed", "dead"]


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _check_pattern(value: str) -> str:
    if not EVENT_PATTERN.match(value):
        raise ValueError(
            "an event type is `*`, a type such as `issue.created`, or `issue.*` for every type "
            "of an entity"
        )
    return value


def _check_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError as exc:
        raise ValueError(f"not a usable URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("a webhook URL must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("a webhook URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("a webhook URL may not carry credentials (user:password@)")
    return value


EventPattern = Annotated[str, BeforeValidator(_lower), AfterValidator(_check_pattern)]
EventTypes = Annotated[
    list[EventPattern],
    Field(min_length=1, max_length=MAX_EVENT_TYPES),
    AfterValidator(lambda types: list(dict.fromkeys(types))),
]
WebhookUrl = Annotated[
    str,
    Field(min_length=1, max_length=MAX_URL, examples=["https://example.com/hooks/platform"]),
    BeforeValidator(lambda value: value.strip() if isinstance(value, str) else value),
    AfterValidator(_check_url),
]
Description = Annotated[str, Field(max_length=500)]


class WebhookCreate(Schema):
    url: WebhookUrl
    event_types: EventTypes = Field(
        default_factory=lambda: ["*"],
        description="`*` (every event), exact types (`issue.created`) or prefixes (`issue.*`).",
    )
    description: Description | None = None
    active: bool = True


class WebhookUpdate(Schema):
    url: WebhookUrl | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    active: bool | None = Field(
        default=None,
        description="true re-enables a disabled subscription (its count of failures starts again).",
    )
    rotate_secret: bool = Field(
        default=False,
        description="Make a new signing secret; the answer shows it, this once.",
    )

    def changes(self) -> dict[str, Any]:
        fields = ("url", "event_types", "description", "active")
        return {name: getattr(self, name) for name in fields if getattr(self, name) is not None}


class WebhookResponse(ResponseSchema):
    id: str
    workspace_id: str
    url: str
    description: str | None = None
    event_types: list[str]
    active: bool
    created_by: str | None = None
    consecutive_failures: int
    disabled_reason: str | None = Field(
        default=None, description="Why the platform disabled it (it kept failing)."
    )
    disabled_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class WebhookSecretResponse(WebhookResponse):
    secret: str | None = Field(
        default=None,
        description="The signing secret: shown when the subscription is made and when the "
        "secret is rotated, never again.",
    )


class DeliveryResponse(ResponseSchema):
    id: int
    webhook_id: str
    event_id: int | None = Field(default=None, description="The feed event; none for a ping.")
    event_type: str
    state: DeliveryStateName
    attempts: int
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    redelivery_of: int | None = None
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_delivery(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {name: getattr(data, name, None) for name in _DELIVERY_FIELDS} | {
            "webhook_id": data.subscription_id
        }


_DELIVERY_FIELDS = tuple(name for name in DeliveryResponse.model_fields if name != "webhook_id")
