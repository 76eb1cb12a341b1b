"""Runs: an agent's unit of work, as members queue and read them and workers report on them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, Strict

from praisonai_platform.core.enums import ActorType, EventType, RunState
from praisonai_platform.core.limits import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_ATTEMPTS,
    MAX_COUNT,
    MAX_CURRENT_STEP,
    MAX_FAILURE_REASON,
    MAX_PROGRESS,
    MAX_RUN_BUDGET,
    MAX_STEP_AMOUNT,
    MAX_STEP_NAME,
    MAX_TEXT,
    WORKER_ID_PATTERN,
)
from praisonai_platform.core.schemas import (
    EntityId,
    JsonObject,
    LongText,
    ResponseSchema,
    Schema,
    StoredJsonObject,
    lenient_input,
)

RunStateInput = Annotated[
    RunState, lenient_input(RunState, {"running": "processing", "cancelled": "stopped"})
]
WorkerEventTypeInput = Annotated[EventType, lenient_input(EventType)]
MaxAttempts = Annotated[
    int,
    Field(ge=1, le=MAX_ATTEMPTS, description="Attempts before the run ends failed (retry limit)."),
]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
WorkerId = Annotated[
    str,
    Field(
        pattern=WORKER_ID_PATTERN,
        description="The id the worker registered with.",
        examples=["build-box-1"],
    ),
]
Parameters = Annotated[
    JsonObject,
    Field(description="Data for the agent; never changes permissions, billing or the queue."),
]
Budget = Annotated[
    int,
    Strict(),
    Field(
        gt=0,
        le=MAX_RUN_BUDGET,
        description="Micro-credits: the most the run's steps may be charged together. A usage "
        "report that would pass it is refused and fails the run. Default: no limit.",
    ),
]


class RunCreate(Schema):
    agent_id: EntityId
    issue_id: EntityId | None = Field(default=None, description="Issue id or key (ENG-42).")
    parameters: Parameters | None = None
    max_attempts: MaxAttempts = DEFAULT_MAX_ATTEMPTS
    budget: Budget | None = None


class RunDelegate(Schema):
    agent_id: EntityId | None = Field(
        default=None, description="The agent to hand the issue to; default: its assigned agent."
    )
    parameters: Parameters | None = None
    max_attempts: MaxAttempts = DEFAULT_MAX_ATTEMPTS
    budget: Budget | None = None


class RunResponse(ResponseSchema):
    id: str
    workspace_id: str
    issue_id: str | None = None
    agent_id: str
    state: RunState
    parameters: StoredJsonObject = Field(default_factory=dict)
    progress_percentage: float
    progress_message: str | None = None
    steps_completed: int
    steps_total: int | None = None
    current_step: str | None = None
    result: StoredJsonObject | None = None
    failure_reason: str | None = None
    failure_message: str | None = None
    attempt_count: int
    max_attempts: int
    worker_id: str | None = None
    lease_expires_at: datetime | None = None
    stop_requested: bool
    stop_requested_at: datetime | None = None
    created_by_type: ActorType
    created_by_id: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    budget: int | None = Field(
        default=None, description="Micro-credits the run may be charged at most; None: no limit."
    )
    spent: int = Field(default=0, description="Micro-credits the run's steps were charged so far.")


class WorkerRef(Schema):
    worker_id: WorkerId


class RunProgress(WorkerRef):
    percentage: float | None = Field(default=None, ge=0, le=MAX_PROGRESS)
    message: LongText | None = None
    steps_completed: Count | None = None
    steps_total: Count | None = None
    current_step: Annotated[str, Field(max_length=MAX_CURRENT_STEP)] | None = None


class RunEventCreate(WorkerRef):
    event_type: WorkerEventTypeInput = Field(
        default=EventType.SYSTEM, description="`system` or `error`."
    )
    message: LongText | None = None
    context: JsonObject | None = None


class RunComplete(WorkerRef):
    result: JsonObject | None = None
    message: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | None = Field(
        default=None,
        description="Posted on the run's issue as the agent's comment (default: result.message).",
    )


class RunFail(WorkerRef):
    reason: Annotated[str, Field(min_length=1, max_length=MAX_FAILURE_REASON)] = "error"
    message: LongText | None = None
    retry: bool = Field(default=True, description="Queue the run again while attempts remain.")


class RunStopped(WorkerRef):
    message: LongText | None = None
    result: JsonObject | None = Field(default=None, description="What was done before stopping.")


StepName = Annotated[str, Field(min_length=1, max_length=MAX_STEP_NAME, pattern=r"\S")]


class RunUsage(WorkerRef):
    step: Annotated[
        StepName | Count,
        Field(
            description="The step this usage is for: a name or number. Each step of a run is "
            "charged once, however often a retried run reports it.",
            examples=["1", "plan"],
        ),
    ]
    amount: Annotated[
        int, Field(ge=0, le=MAX_STEP_AMOUNT, description="Micro-credits the step cost.")
    ]


class RunUsageResponse(ResponseSchema):
    charged: bool = Field(
        description="False: the step was charged before, cost nothing, or billing is off."
    )
    balance: int | None = Field(
        default=None,
        description="The payer's balance after this report, in micro-credits: shown to the "
        "payer and to administrators only (null for anyone else).",
    )
    billing_enabled: bool
