"""Writes the workspace change feed (`workspace_events`) in the transaction of each change.

Every audit-trail entry and every run report (progress, a worker's own events) that a
transaction inserts becomes one feed event, written just before that transaction commits:

- Collected at flush time from the session's new `ActivityLog` and `Event` objects (their values
  are final only then: callers fill in the actor after `activity.record` returns), and from rows
  that hot paths insert with Core (`add`).
- A run report names its run's agent (the actor) and issue. They are noted when the report is
  flushed, from the run the session holds then (the service that reports has just loaded it):
  the session keeps objects only while their caller does, and callers drop the run before they
  commit. A report whose run was not loaded is named by one query at commit, for all of them.
- An object whose savepoint was rolled back is no longer persistent at commit and is left out, so
  nothing is announced for a change that did not happen.
- On PostgreSQL a transaction-scoped advisory lock per workspace is taken before the feed rows are
  numbered, and held to the commit that follows at once: within a workspace, feed ids then grow in
  commit order, so a reader that has seen id N never later finds a committed id below N. Taken
  last, it waits on nothing but other commits. SQLite has one writer at a time, so order is free.
- After the commit, listeners in this process hear which workspaces changed (`on_commit`), and
  whether webhook deliveries were queued (`on_deliveries`); other processes hear of the change
  through PostgreSQL's NOTIFY on `CHANNEL`, sent by the same commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, TypedDict

from sqlalchemy import Connection, String, Table, bindparam, event, func, insert, inspect, select
from sqlalchemy.orm import Session, SessionTransaction

from praisonai_platform.db import webhook_outbox
from praisonai_platform.db.models import ActivityLog, ActorType, Event, EventType, Run
from praisonai_platform.db.models.feed import WorkspaceEvent
from praisonai_platform.db.types import utcnow

logger = logging.getLogger(__name__)

CHANNEL = "workspace_events"

# Run events that describe no change of state: the state changes reach the feed through their
# audit-trail entries, which name the same run.
RUN_REPORTS: dict[EventType, str] = {
    EventType.RUN_PROGRESS: "run.progress",
    EventType.ERROR: "run.event",
    EventType.SYSTEM: "run.event",
}

_COLLECTED = "change_feed.collected"
_RUNS = "change_feed.runs"
_ROWS = "change_feed.rows"
_WRITTEN = "change_feed.written"
_QUEUED = "change_feed.queued"

_TABLE: Table = WorkspaceEvent.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)
_INSERT_ONE = insert(_TABLE).returning(_TABLE.c.id)


class FeedRow(TypedDict):
    """A feed event as written; `id` is set once it is."""

    workspace_id: str
    type: str
    entity_type: str
    entity_id: str
    issue_id: str | None
    actor_type: ActorType
    actor_id: str | None
    data: dict[str, Any]
    created_at: Any


CommitListener = Callable[[frozenset[str]], None]
_listeners: list[CommitListener] = []
_delivery_listeners: list[Callable[[], None]] = []


class Written(NamedTuple):
    workspaces: frozenset[str]
    deliveries: int  # webhook deliveries queued


def on_commit(listener: CommitListener) -> Callable[[], None]:
    """Call `listener` with the ids of the workspaces whose feed grew, after each commit of this
    process that grew one. It runs inside the commit: it must be quick and must not raise.
    Returns a function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def on_deliveries(listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` after each commit of this process that queued webhook deliveries (the
    sender need not look for work after the commits that queued none). Like `on_commit`'s."""
    _delivery_listeners.append(listener)
    return lambda: _delivery_listeners.remove(listener) if listener in _delivery_listeners else None


def deliveries_queued(session: Session) -> None:
    """Have the `on_deliveries` listeners called after this transaction commits: for deliveries
    queued (or let go) other than by the feed."""
    session.info[_QUEUED] = True


def add(session: Session, row: FeedRow) -> None:
    """Announce a change whose audit row was written with Core, outside the unit of work."""
    session.info.setdefault(_ROWS, []).append(row)


def activity_row(entry: ActivityLog) -> FeedRow:
    return FeedRow(
        workspace_id=entry.workspace_id,
        type=f"{entry.entity_type}.{entry.action}",
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        issue_id=entry.issue_id,
        actor_type=ActorType(entry.actor_type or ActorType.USER),
        actor_id=entry.actor_id,
        data=dict(entry.details or {}),
        created_at=entry.created_at or utcnow(),
    )


class RunNames(NamedTuple):
    """Whom a run report names: the run's agent (its actor) and the run's issue."""

    agent_id: str | None
    issue_id: str | None


def _reported_run(obj: object) -> str | None:
    """The run that `obj` reports on, if it is a run report of a workspace."""
    if isinstance(obj, Event) and obj.event_type in RUN_REPORTS and obj.workspace_id is not None:
        return obj.run_id
    return None


def _held_run(session: Session, run_id: str) -> RunNames | None:
    """The run's agent and issue if the session holds the run with them loaded (read from its
    loaded state: nothing is loaded here)."""
    run = session.identity_map.get(inspect(Run).identity_key_from_primary_key((run_id,)))
    if run is None:
        return None
    loaded = inspect(run).dict
    if "agent_id" not in loaded or "issue_id" not in loaded:
        return None
    return RunNames(loaded["agent_id"], loaded["issue_id"])


def _note_runs(session: Session, run_ids: set[str]) -> None:
    noted: dict[str, RunNames] = session.info.setdefault(_RUNS, {})
    for run_id in run_ids - noted.keys():
        names = _held_run(session, run_id)
        if names is not None:
            noted[run_id] = names


def _names_of_runs(session: Session, run_ids: set[str]) -> dict[str, RunNames]:
    """The agent and issue of each run: as noted at flush time, else read in one query."""
    names: dict[str, RunNames] = session.info.pop(_RUNS, {})
    missing = run_ids - names.keys()
    if missing:
        rows = session.connection().execute(
            select(Run.id, Run.agent_id, Run.issue_id).where(Run.id.in_(missing))
        )
        names.update((run_id, RunNames(agent_id, issue_id)) for run_id, agent_id, issue_id in rows)
    return names


def _run_report_row(report: Event, runs: dict[str, RunNames]) -> FeedRow | None:
    kind = RUN_REPORTS.get(report.event_type)
    if kind is None or report.workspace_id is None or report.run_id is None:
        return None
    run = runs.get(report.run_id, RunNames(None, None))
    data: dict[str, Any] = {"event_type": report.event_type.value, "context": report.context}
    if report.message is not None:
        data["message"] = report.message
    if report.worker_id is not None:
        data["worker_id"] = report.worker_id
    return FeedRow(
        workspace_id=report.workspace_id,
        type=kind,
        entity_type="run",
        entity_id=report.run_id,
        issue_id=run.issue_id,
        actor_type=ActorType.AGENT if run.agent_id else ActorType.SYSTEM,
        actor_id=run.agent_id,
        data=data,
        created_at=report.created_at or utcnow(),
    )


def _reported_runs(objects: Iterable[object]) -> set[str]:
    return {run_id for obj in objects if (run_id := _reported_run(obj)) is not None}


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context: object, _instances: object) -> None:
    new = [obj for obj in session.new if isinstance(obj, ActivityLog | Event)]
    if new:
        session.info.setdefault(_COLLECTED, []).extend(new)
        run_ids = _reported_runs(new)
        if run_ids:
            _note_runs(session, run_ids)


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    info = session.info
    if not session.new and _COLLECTED not in info and _ROWS not in info:
        return
    session.flush()  # the commit would flush anyway; done first so that every entry is collected
    rows = list(info.pop(_ROWS, ()))
    # An object whose savepoint was rolled back is no longer persistent: nothing to announce.
    collected = [obj for obj in info.pop(_COLLECTED, ()) if inspect(obj).persistent]
    runs = _names_of_runs(session, _reported_runs(collected))
    for obj in collected:
        row = activity_row(obj) if isinstance(obj, ActivityLog) else _run_report_row(obj, runs)
        if row is not None:
            rows.append(row)
    if rows:
        written = write(session.connection(), rows)
        info[_WRITTEN] = written.workspaces
        if written.deliveries:
            info[_QUEUED] = True


def write(connection: Connection, rows: Sequence[FeedRow]) -> Written:
    """Number and insert `rows`, queue their webhook deliveries and (on PostgreSQL) notify other
    processes. For callers that commit `connection` at once."""
    workspaces = frozenset(row["workspace_id"] for row in rows)
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        # One order, so two writers never wait in a ring. The notification goes with the lock:
        # PostgreSQL holds it back until the commit, and drops it on a rollback.
        for workspace_id in sorted(workspaces):
            connection.execute(_LOCK_AND_NOTIFY, _lock_parameters(workspace_id))
    if len(rows) == 1:  # most commits: a plain INSERT … RETURNING, not a batch in order
        ids: Sequence[Any] = [connection.execute(_INSERT_ONE, rows[0]).scalar_one()]
    else:
        ids = connection.execute(_INSERT, list(rows)).scalars().all()
    for row, feed_id in zip(rows, ids, strict=True):
        row["id"] = feed_id  # type: ignore[typeddict-unknown-key]
    deliveries = webhook_outbox.enqueue(connection, rows)
    return Written(workspaces, deliveries)


# Built once (every commit on PostgreSQL runs it): the workspace's feed lock, and the NOTIFY.
_LOCK_AND_NOTIFY = select(
    func.pg_advisory_xact_lock(func.hashtextextended(bindparam("lock_key", type_=String()), 0)),
    func.pg_notify(CHANNEL, bindparam("workspace_id", type_=String())),
)


def _lock_parameters(workspace_id: str) -> dict[str, str]:
    return {"lock_key": f"feed:{workspace_id}", "workspace_id": workspace_id}


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    workspaces = session.info.pop(_WRITTEN, None)
    if workspaces:
        tell(workspaces)
    if session.info.pop(_QUEUED, False):
        for listener in list(_delivery_listeners):
            try:
                listener()
            except Exception:  # as in `tell`
                logger.exception("change feed listener failed")


def tell(workspaces: Iterable[str]) -> None:
    """Tell this process's listeners that the feeds of `workspaces` grew."""
    changed = frozenset(workspaces)
    for listener in list(_listeners):
        try:
            listener(changed)
        except Exception:  # a listener's fault must not fail a commit that has happened
            logger.exception("change feed listener failed")


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for key in (_COLLECTED, _RUNS, _ROWS, _WRITTEN, _QUEUED):
            session.info.pop(key, None)
