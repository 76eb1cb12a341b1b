"""Tools for runs: delegate an issue to an agent, and work on runs as a worker does.

An MCP client works on runs as a remote worker: claiming a run makes it the run's worker, and
its reports name that worker. Unless a tool is given a `worker_id`, the client acts as a worker
of its own, `mcp-<API key id>`, registered on its first claim.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import ToolAnnotations
from pydantic import Field
from sqlalchemy import select

from praisonai_platform.agents import service as agents
from praisonai_platform.agents.schemas import AgentResponse
from praisonai_platform.core import idempotency as nonces
from praisonai_platform.core.enums import EventType
from praisonai_platform.core.limits import (
    MAX_CURRENT_STEP,
    MAX_FAILURE_REASON,
    MAX_ID,
    MAX_PROGRESS,
    MAX_TEXT,
)
from praisonai_platform.core.paging import PageRequest
from praisonai_platform.core.schemas import LongText
from praisonai_platform.db.models import Run, Worker
from praisonai_platform.mcp_server import queries
from praisonai_platform.mcp_server.calls import Call, McpConfig, run
from praisonai_platform.mcp_server.issue_tools import (
    Cursor,
    IssueKey,
    Limit,
    WorkspaceRef,
    validated,
)
from praisonai_platform.mcp_server.schemas import AgentList, ClaimResult, EventPosted, RunPage
from praisonai_platform.runs import queue as run_queue
from praisonai_platform.runs import service as runs
from praisonai_platform.runs.queue import ClaimFilter
from praisonai_platform.runs.rechecks import Recheck, may_hold, may_queue
from praisonai_platform.runs.reports import service as run_reports
from praisonai_platform.runs.schemas import (
    Budget,
    MaxAttempts,
    RunComplete,
    RunDelegate,
    RunEventCreate,
    RunFail,
    RunProgress,
    RunResponse,
    RunStateInput,
    WorkerEventTypeInput,
)
from praisonai_platform.runs.workers import service as workers

RunId = Annotated[str, Field(min_length=1, max_length=MAX_ID, description="The run's id.")]
WorkerRef = Annotated[
    Annotated[str, Field(min_length=1, max_length=100)] | None,
    Field(
        description="The worker to act as: one you registered. Default: this MCP client's "
        "own worker (`mcp-<API key id>`)."
    ),
]
JsonObject = dict[str, Any]
IdempotencyKey = Annotated[
    Annotated[
        str,
        Field(min_length=1, max_length=nonces.MAX_KEY_LENGTH, pattern=r"^[\x21-\x7e]+$"),
    ]
    | None,
    Field(
        description="Any unique string (e.g. a UUID). Calling again with the same key and the "
        "same arguments answers the first call's result instead of doing it again: use one "
        "when a call's answer may be lost and you will retry."
    ),
]

_READS = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)


def default_worker_id(call: Call) -> str:
    return f"mcp-{call.actor.api_key_id}"


async def _own_worker(call: Call, worker_id: str | None) -> str:
    """The worker named, or the client's own, registered if it is not yet."""
    if worker_id is not None:
        return worker_id
    worker_id = default_worker_id(call)
    found = await call.session.scalar(select(Worker.id).where(Worker.id == worker_id))
    if found is None:
        await workers.register(call.session, call.actor, worker_id=worker_id, name="MCP client")
    return worker_id


def _run_answer(queued: Run) -> dict[str, Any]:
    return RunResponse.model_validate(queued).model_dump(mode="json")


async def _once(
    call: Call,
    key: str | None,
    operation: str,
    arguments: dict[str, Any],
    work: Callable[[], Awaitable[nonces.RecordedResponse]],
    recheck: Recheck,
) -> nonces.RecordedResponse:
    """`work` once per idempotency key, as the REST routes' Idempotency-Key: a key belongs to
    the person and the operation, the arguments must match, and a replay answers only a caller
    who passes `recheck` now."""
    if key is None:
        return await work()
    return await nonces.once(
        call.session,
        scope=f"{call.actor.user_id}:{nonces.fingerprint('mcp', operation)[:40]}",
        key=key,
        request_hash=nonces.fingerprint(arguments),
        ttl=call.config.run_settings.nonce_ttl,
        work=work,
        recheck=recheck,
    )


def register(server: MCPServer[Any], config: McpConfig) -> None:
    @server.tool(
        description="List a workspace's agents (the ones issues can be delegated to), oldest "
        "first, with their status and how many runs each may run at once.",
        annotations=_READS,
    )
    async def list_agents(
        ctx: Context, workspace: WorkspaceRef = None, limit: Limit = 50, cursor: Cursor = None
    ) -> AgentList:
        async def work(call: Call) -> AgentList:
            workspace_id = await call.workspace(workspace)
            page = await agents.list_for(
                call.session, call.actor, workspace_id, PageRequest(limit=limit, cursor=cursor)
            )
            return AgentList(
                agents=[AgentResponse.model_validate(agent) for agent in page.items],
                next_cursor=page.next_cursor,
            )

        return await run(config, ctx, work, writes=False)

    @server.tool(
        description="Delegate an issue (key or id) to an agent: queues a run for `agent_id`, or "
        "for the agent the issue is assigned to. The agent's worker claims it.",
        annotations=_WRITES,
    )
    async def delegate_issue(
        issue: IssueKey,
        ctx: Context,
        workspace: WorkspaceRef = None,
        agent_id: Annotated[
            Annotated[str, Field(min_length=1, max_length=MAX_ID)] | None,
            Field(description="The agent; default: the one the issue is assigned to."),
        ] = None,
        parameters: Annotated[JsonObject | None, Field(description="Data for the agent.")] = None,
        max_attempts: MaxAttempts | None = None,
        budget: Budget | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> RunResponse:
        async def work(call: Call) -> RunResponse:
            workspace_id = await call.workspace_of_issue(workspace, issue)
            sent = {
                "agent_id": agent_id,
                "parameters": parameters,
                "max_attempts": max_attempts,
                "budget": budget,
            }
            body: RunDelegate = validated(
                RunDelegate, {name: value for name, value in sent.items() if value is not None}
            )

            async def delegate() -> nonces.RecordedResponse:
                queued = await runs.delegate(
                    call.session,
                    call.actor,
                    workspace_id,
                    issue.strip(),
                    billing=config.billing_settings,
                    **body.model_dump(),
                )
                return nonces.RecordedResponse(201, _run_answer(queued))

            outcome = await _once(
                call,
                idempotency_key,
                f"delegate_issue {workspace_id} {issue.strip()}",
                body.model_dump(mode="json"),
                delegate,
                may_queue(call.session, call.actor, workspace_id),
            )
            return RunResponse.model_validate(outcome.body)

        return await run(config, ctx, work, writes=True)

    @server.tool(
        description="Read a run by id: its state, progress, worker, result or failure, and "
        "whether a stop was asked for.",
        annotations=_READS,
    )
    async def get_run(run_id: RunId, ctx: Context) -> RunResponse:
        async def work(call: Call) -> RunResponse:
            return RunResponse.model_validate(
                await runs.get_by_id(call.session, call.actor, run_id)
            )

        return await run(config, ctx, work, writes=False)

    @server.tool(
        description="Claim a pending run and start it: the run `run_id`, or else the oldest "
        "one you may take (your agent's, for an agent's key; in `workspace` if named, else "
        "those you queued). Report progress while working: a run whose worker stays silent "
        "past its lease goes back to the queue.",
        annotations=_WRITES,
    )
    async def claim_run(
        ctx: Context,
        run_id: Annotated[
            Annotated[str, Field(min_length=1, max_length=MAX_ID)] | None,
            Field(description="The run to claim; default: the oldest you may take."),
        ] = None,
        workspace: WorkspaceRef = None,
        worker_id: WorkerRef = None,
        idempotency_key: IdempotencyKey = None,
    ) -> ClaimResult:
        async def work(call: Call) -> ClaimResult:
            named = None if workspace is None else await call.workspace(workspace)
            worker = await _own_worker(call, worker_id)
            settings = config.run_settings

            async def claim() -> nonces.RecordedResponse:
                claimed: Run | None
                if run_id is not None:
                    claimed = await run_queue.claim_run(
                        call.session, call.actor, worker, run_id, settings
                    )
                else:
                    filters = ClaimFilter(workspace_id=named)
                    claimed = await run_queue.claim(
                        call.session, call.actor, worker, settings, filters
                    )
                if claimed is None:
                    return nonces.RecordedResponse(204, None)
                return nonces.RecordedResponse(200, _run_answer(claimed))

            outcome = await _once(
                call,
                idempotency_key,
                f"claim_run {worker}",
                {"run_id": run_id, "workspace_id": named},
                claim,
                may_hold(call.session, call.actor, worker),
            )
            return ClaimResult(
                claimed=outcome.body is not None,
                worker_id=worker,
                run=None if outcome.body is None else RunResponse.model_validate(outcome.body),
            )

        return await run(config, ctx, work, writes=True)

    @server.tool(
        description="Report progress on a run you hold (fields left out keep their value); it "
        "extends the run's lease. The answer's `stop_requested` says whether to stop.",
        annotations=_WRITES,
    )
    async def report_progress(
        run_id: RunId,
        ctx: Context,
        percentage: Annotated[float, Field(ge=0, le=MAX_PROGRESS)] | None = None,
        message: LongText | None = None,
        steps_completed: Annotated[int | None, Field(ge=0)] = None,
        steps_total: Annotated[int | None, Field(ge=0)] = None,
        current_step: Annotated[str, Field(max_length=MAX_CURRENT_STEP)] | None = None,
        worker_id: WorkerRef = None,
    ) -> RunResponse:
        async def work(call: Call) -> RunResponse:
            body: RunProgress = validated(
                RunProgress,
                {
                    "worker_id": worker_id or default_worker_id(call),
                    "percentage": percentage,
                    "message": message,
                    "steps_completed": steps_completed,
                    "steps_total": steps_total,
                    "current_step": current_step,
                },
            )
            fields = body.model_dump(exclude={"worker_id"})
            reported = await run_reports.progress(
                call.session, call.actor, run_id, body.worker_id, config.run_settings, **fields
            )
            return RunResponse.model_validate(reported)

        return await run(config, ctx, work, writes=True)

    @server.tool(
        description="Add an event to the log of a run you hold: `system` (a note) or `error`.",
        annotations=_WRITES,
    )
    async def post_run_event(
        run_id: RunId,
        ctx: Context,
        message: LongText | None = None,
        event_type: WorkerEventTypeInput = EventType.SYSTEM,
        context: Annotated[JsonObject | None, Field(description="Details, as JSON.")] = None,
        worker_id: WorkerRef = None,
    ) -> EventPosted:
        async def work(call: Call) -> EventPosted:
            body: RunEventCreate = validated(
                RunEventCreate,
                {
                    "worker_id": worker_id or default_worker_id(call),
                    "event_type": event_type,
                    "message": message,
                    "context": context,
                },
            )
            await run_reports.add_event(
                call.session,
                call.actor,
                run_id,
                body.worker_id,
                event_type=body.event_type,
                message=body.message,
                context=body.context,
            )
            return EventPosted(run_id=run_id)

        return await run(config, ctx, work, writes=True)

    @server.tool(
        description="Complete a run you hold. `message` (or `result.message`) is posted on the "
        "run's issue as the agent's comment.",
        annotations=_WRITES,
    )
    async def complete_run(
        run_id: RunId,
        ctx: Context,
        message: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | None = None,
        result: Annotated[JsonObject | None, Field(description="What was done, as JSON.")] = None,
        worker_id: WorkerRef = None,
    ) -> RunResponse:
        async def work(call: Call) -> RunResponse:
            body: RunComplete = validated(
                RunComplete,
                {
                    "worker_id": worker_id or default_worker_id(call),
                    "result": result,
                    "message": message,
                },
            )
            done = await run_reports.complete(
                call.session,
                call.actor,
                run_id,
                body.worker_id,
                result=body.result,
                message=body.message,
            )
            return RunResponse.model_validate(done)

        return await run(config, ctx, work, writes=True)

    @server.tool(
        description="Fail this attempt at a run you hold: it is queued again while attempts "
        "remain (unless `retry` is false), else it ends failed.",
        annotations=_WRITES,
    )
    async def fail_run(
        run_id: RunId,
        ctx: Context,
        reason: Annotated[str, Field(min_length=1, max_length=MAX_FAILURE_REASON)] = "error",
        message: LongText | None = None,
        retry: bool = True,
        worker_id: WorkerRef = None,
    ) -> RunResponse:
        async def work(call: Call) -> RunResponse:
            body: RunFail = validated(
                RunFail,
                {
                    "worker_id": worker_id or default_worker_id(call),
                    "reason": reason,
                    "message": message,
                    "retry": retry,
                },
            )
            failed = await run_reports.fail(
                call.session,
                call.actor,
                run_id,
                body.worker_id,
                reason=body.reason,
                message=body.message,
                retry=body.retry,
            )
            return RunResponse.model_validate(failed)

        return await run(config, ctx, work, writes=True)

    @server.tool(
        description="Your runs in a workspace, newest first: your agent's (an agent's key), "
        "else those of the agents you own; optionally only in some states.",
        annotations=_READS,
    )
    async def list_my_runs(
        ctx: Context,
        workspace: WorkspaceRef = None,
        state: Annotated[list[RunStateInput] | None, Field(max_length=10)] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> RunPage:
        async def work(call: Call) -> RunPage:
            workspace_id = await call.workspace(workspace)
            page = await queries.my_runs(
                call.session,
                call.actor,
                workspace_id,
                PageRequest(limit=limit, cursor=cursor),
                states=state or (),
            )
            return RunPage(
                runs=[RunResponse.model_validate(r) for r in page.items],
                next_cursor=page.next_cursor,
            )

        return await run(config, ctx, work, writes=False)
