"""Workers: processes that claim runs and heartbeat while they hold them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from praisonai_platform.core.schemas import EntityId, JsonObject, Name, ResponseSchema, Schema
from praisonai_platform.runs.schemas import WorkerId

WorkerStatus = Literal["online", "stale", "offline"]


class WorkerRegister(Schema):
    id: WorkerId | None = Field(default=None, description="Your worker's id; default: generated.")
    name: Name | None = None
    host: Annotated[str, Field(max_length=255)] | None = None
    pid: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    details: JsonObject | None = None


class WorkerHeartbeat(Schema):
    current_run_id: Annotated[str, Field(min_length=1, max_length=36)] | None = None
    run_ids: list[EntityId] | None = Field(
        default=None,
        max_length=1000,
        description="The runs you are working on (default: every run you hold).",
    )


class WorkerClaim(Schema):
    agent_id: EntityId | None = Field(default=None, description="Only runs of this agent.")
    workspace_id: EntityId | None = Field(default=None, description="Only runs of this workspace.")


class WorkerResponse(ResponseSchema):
    id: str
    name: str
    host: str | None = None
    pid: int | None = None
    status: WorkerStatus
    started_at: datetime
    last_heartbeat_at: datetime
    current_run_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, worker: Any, status: str) -> WorkerResponse:
        return cls(
            id=worker.id,
            name=worker.name,
            host=worker.host,
            pid=worker.pid,
            status=status,  # type: ignore[arg-type]
            started_at=worker.started_at,
            last_heartbeat_at=worker.last_heartbeat_at,
            current_run_id=worker.current_run_id,
            details=worker.details,
        )


class HeldRunResponse(ResponseSchema):
    id: str
    stop_requested: bool


class HeartbeatResponse(ResponseSchema):
    worker: WorkerResponse
    runs: list[HeldRunResponse] = Field(
        description="The runs this worker still holds (leases extended); stop the ones asked to."
    )
