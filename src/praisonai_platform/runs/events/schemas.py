"""The event log of runs and workers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

from praisonai_platform.core.enums import EventType
from praisonai_platform.core.schemas import ResponseSchema, StoredJsonObject, lenient_input

EventTypeInput = Annotated[EventType, lenient_input(EventType)]


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the moment is out of range once converted to UTC") from None


Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]


class EventResponse(ResponseSchema):
    id: str
    event_type: EventType
    workspace_id: str | None = None
    run_id: str | None = None
    worker_id: str | None = None
    message: str | None = None
    context: StoredJsonObject = Field(default_factory=dict)
    created_at: datetime
