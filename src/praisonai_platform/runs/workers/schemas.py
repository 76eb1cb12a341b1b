"""Workers: processes that claim runs and heartbeat while they hold them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from praisonai_platform.core.limits import ID_LENGTH, MAX_COUNT, MAX_HEARTBEAT_RUNS, MAX_HOST
from praisonai_platform.core.schemas import (
    EntityId,
    JsonObject,
    Name,
    ResponseSchema,
    Schema,
    StoredJsonObject,
)
from praisonai_platform.runs.schemas import WorkerId

WorkerStatus = Literal["online", "stale", "offline"]
# How many workspaces, and how many agents, one claim may name.
MAX_CLAIM_SCOPE = 100


class WorkerRegister(Schema):
    id: WorkerId | None = Field(default=None, description="Your worker's id; default: generated.")
    name: Name | None = None
    host: Annotated[str, Field(max_length=MAX_HOST)] | None = None
    pid: Annotated[int, Field(ge=0, le=MAX_COUNT)] | None = None
    details: JsonObject | None = None


class WorkerHeartbeat(Schema):
    current_run_id: Annotated[str, Field(min_length=1, max_length=ID_LENGTH)] | None = None
    run_ids: list[EntityId] | None = Field(
        default=None,
        max_length=MAX_HEARTBEAT_RUNS,
        description="The runs you are working on (default: every run you hold).",
    )


class WorkerClaim(Schema):
    """Which work the worker takes. Naming no workspace and no agent, a person's worker takes
    only runs that person queued (directly or through an agent they own)."""

    agent_id: EntityId | None = Field(default=None, description="Only runs of this agent.")
    workspace_id: EntityId | None = Field(default=None, description="Only runs of this workspace.")
    workspace_ids: list[EntityId] | None = Field(
        default=None,
        max_length=MAX_CLAIM_SCOPE,
        description="Only runs of these workspaces (your worker's settings).",
    )
    agent_ids: list[EntityId] | None = Field(
        default=None,
        max_length=MAX_CLAIM_SCOPE,
        description="Only runs of these agents (your worker's settings).",
    )


class WorkerResponse(ResponseSchema):
    id: str
    name: str
    host: str | None = None
    pid: int | None = None
    status: WorkerStatus
    started_at: datetime
    last_heartbeat_at: datetime
    current_run_id: str | None = None
    registered_by_user_id: str | None = Field(
        default=None, description="Who registered the worker; none for the server's own workers."
    )
    stopped_at: datetime | None = Field(default=None, description="When it last signed off.")
    details: StoredJsonObject = Field(default_factory=dict)

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
            registered_by_user_id=worker.registered_by_user_id,
            stopped_at=worker.stopped_at,
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
