"""Workers: processes that claim runs, known by the id they register with.

A worker is either one of the server's own worker processes on the shared database (the caller
is the system actor) or a remote worker using the API, owned by the person whose credential
registered it (`registered_by_user_id`); only that person may act as it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from praisonai_platform.core.actors import Actor
from praisonai_platform.core.clock import database_now, utcnow
from praisonai_platform.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from praisonai_platform.core.limits import ID_LENGTH, MAX_WORKER_ID, WORKER_ID_PATTERN
from praisonai_platform.core.paging import Page, PageRequest, SortKey, paginate
from praisonai_platform.db.models import EventType, Run, RunState, Worker
from praisonai_platform.db.types import new_id
from praisonai_platform.runs.events import service as events
from praisonai_platform.runs.settings import RunSettings
from praisonai_platform.workspaces.permissions import Action, credential_permits

WORKER_ID = re.compile(WORKER_ID_PATTERN)


class Keep(enum.Enum):
    """Leave a field as it is."""

    UNCHANGED = "unchanged"


UNCHANGED = Keep.UNCHANGED


@dataclass(frozen=True, slots=True)
class WorkerView:
    worker: Worker
    status: str


@dataclass(frozen=True, slots=True)
class HeldRun:
    id: str
    stop_requested: bool


@dataclass(frozen=True, slots=True)
class Heartbeat:
    worker: Worker
    runs: list[HeldRun]


def require_write(actor: Actor) -> None:
    """Acting as a worker changes things: read-only credentials may not."""
    if not actor.is_system and actor.scopes is not None and "write" not in actor.scopes:
        raise Forbidden("this credential cannot act as a worker")


async def ensure_owned(session: AsyncSession, actor: Actor, worker_id: str) -> None:
    """The caller may act as this worker (NotFound otherwise: other people's workers are not
    revealed). The system (the server's own worker processes) may act as any."""
    if actor.is_system:
        return
    require_write(actor)
    statement = select(Worker.id).where(
        Worker.id == worker_id, Worker.registered_by_user_id == actor.user_id
    )
    if await session.scalar(statement) is None:
        raise NotFound("worker not found")


async def register(
    session: AsyncSession,
    actor: Actor,
    *,
    worker_id: str | None = None,
    name: str | None = None,
    host: str | None = None,
    pid: int | None = None,
    details: dict[str, Any] | None = None,
) -> Worker:
    """Register (or re-register after a restart) a worker; it starts online."""
    require_write(actor)
    worker_id = worker_id or f"worker-{new_id()}"
    if not WORKER_ID.match(worker_id):
        raise ValidationFailed(
            f"id: 1 to {MAX_WORKER_ID} letters, digits and . _ : @ -, starting with a letter "
            "or digit",
            code="invalid_worker_id",
        )
    owner = None if actor.is_system else actor.user_id
    now = database_now(session)
    values = {
        "name": name or worker_id,
        "host": host,
        "pid": pid,
        "started_at": now,
        "last_heartbeat_at": now,
        "current_run_id": None,
        "registered_by_user_id": owner,
        "stopped_at": None,
        "details": details or {},
    }
    try:
        async with session.begin_nested():
            await session.execute(insert(Worker).values(id=worker_id, **values))
    except IntegrityError:
        existing = await session.scalar(
            select(Worker.registered_by_user_id).where(Worker.id == worker_id).with_for_update()
        )
        if existing != owner:
            raise Conflict("another worker has this id", code="worker_id_taken") from None
        await session.execute(update(Worker).where(Worker.id == worker_id).values(**values))
    worker = await _reload(session, worker_id)
    events.record(
        session,
        EventType.WORKER_ONLINE,
        worker_id=worker_id,
        message=f"worker {worker.name} online",
        context={"host": host, "pid": pid, "registered_by": owner},
    )
    await session.flush()
    return worker


async def heartbeat(
    session: AsyncSession,
    actor: Actor,
    worker_id: str,
    settings: RunSettings,
    *,
    current_run_id: str | Keep | None = UNCHANGED,
    run_ids: Sequence[str] | None = None,
) -> Heartbeat:
    """The worker is alive: note it, extend the leases of the runs it holds (of `run_ids` only,
    when given: the runs it is really working on), and tell it which of those it still holds
    and which were asked to stop."""
    await ensure_owned(session, actor, worker_id)
    # Heartbeating again after going offline: online again.
    values: dict[str, Any] = {"last_heartbeat_at": database_now(session), "stopped_at": None}
    if current_run_id is not UNCHANGED:
        if current_run_id is not None and not 1 <= len(current_run_id) <= ID_LENGTH:
            raise ValidationFailed("current_run_id: not a run id", code="invalid_reference")
        values["current_run_id"] = current_run_id
    worker = await session.scalar(
        update(Worker)
        .where(Worker.id == worker_id)
        .values(**values)
        .returning(Worker)
        .execution_options(populate_existing=True)
    )
    if worker is None:
        raise NotFound("worker not found")
    runs: list[HeldRun] = []
    if run_ids is None or run_ids:
        statement = update(Run).where(Run.worker_id == worker_id, Run.state == RunState.PROCESSING)
        if run_ids is not None:
            statement = statement.where(Run.id.in_(list(run_ids)))
        held = await session.execute(
            statement.values(lease_expires_at=database_now(session, settings.lease))
            .returning(Run.id, Run.stop_requested)
            .execution_options(synchronize_session=False)
        )
        runs = [HeldRun(id=row.id, stop_requested=row.stop_requested) for row in held]
    await session.flush()
    return Heartbeat(worker=worker, runs=runs)


async def go_offline(session: AsyncSession, actor: Actor, worker_id: str) -> Worker:
    """Mark the worker offline (it stopped cleanly). Runs it still holds must be released first
    (run_leases.release); those it leaves behind are reclaimed when their leases lapse."""
    await ensure_owned(session, actor, worker_id)
    worker = await session.scalar(
        select(Worker)
        .where(Worker.id == worker_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if worker is None:
        raise NotFound("worker not found")
    worker.stopped_at = utcnow()
    worker.current_run_id = None
    events.record(
        session,
        EventType.WORKER_OFFLINE,
        worker_id=worker_id,
        message=f"worker {worker.name} offline",
    )
    await session.flush()
    return worker


async def list_workers(
    session: AsyncSession,
    actor: Actor,
    settings: RunSettings,
    page: PageRequest,
    *,
    status: str | None = None,
) -> Page[WorkerView]:
    """Administrators (with a session or a full key) see every worker; others the workers they
    registered. Newest first."""
    status_column = _status(session, settings)
    statement = select(Worker, status_column)
    if not credential_permits(actor, Action.ADMIN_READ_ALL):
        statement = statement.where(Worker.registered_by_user_id == actor.user_id)
    if status is not None:
        statement = statement.where(status_column == status)
    order = [
        SortKey("started_at", Worker.started_at, descending=True, kind=datetime),
        SortKey("id", Worker.id, descending=True),
    ]
    page_of_rows = await paginate(session, statement, order, page, scalars=False)
    return Page(
        items=[WorkerView(worker=row[0], status=row[1]) for row in page_of_rows.items],
        total=page_of_rows.total,
        next_cursor=page_of_rows.next_cursor,
        limit=page_of_rows.limit,
        offset=page_of_rows.offset,
    )


async def get(
    session: AsyncSession, actor: Actor, settings: RunSettings, worker_id: str
) -> WorkerView:
    statement = select(Worker, _status(session, settings)).where(Worker.id == worker_id)
    if not credential_permits(actor, Action.ADMIN_READ_ALL):
        statement = statement.where(Worker.registered_by_user_id == actor.user_id)
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise NotFound("worker not found")
    return WorkerView(worker=row[0], status=row[1])


async def note_current_run(session: AsyncSession, worker_id: str, run_id: str) -> None:
    """The worker just took `run_id`: that proves it alive, too."""
    await session.execute(
        update(Worker)
        .where(Worker.id == worker_id)
        .values(current_run_id=run_id, last_heartbeat_at=database_now(session))
        .execution_options(synchronize_session=False)
    )


def _status(session: AsyncSession, settings: RunSettings) -> ColumnElement[str]:
    return case(
        (Worker.stopped_at.is_not(None), "offline"),
        (
            Worker.last_heartbeat_at >= database_now(session, -settings.worker_stale_after),
            "online",
        ),
        else_="stale",
    ).label("status")


async def _reload(session: AsyncSession, worker_id: str) -> Worker:
    worker = await session.scalar(
        select(Worker).where(Worker.id == worker_id).execution_options(populate_existing=True)
    )
    assert worker is not None
    return worker
