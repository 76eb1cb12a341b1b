"""Admin views of agent work in progress: runs, workers, events (read-only) and nonces.

Runs and workers belong to the run queue: they are looked at here, never edited. A dead worker's
row or a stale nonce may be removed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from praisonai_platform.api.admin.base import EnumFilter, ReadOnlyView, plain_columns
from praisonai_platform.db.models import Event, EventType, Nonce, Run, RunState, Worker


class RunAdmin(ReadOnlyView, model=Run):
    icon = "fa-solid fa-person-running"
    column_list: ClassVar[Any] = [
        Run.id,
        Run.workspace_id,
        Run.agent_id,
        Run.issue_id,
        Run.state,
        Run.progress_percentage,
        Run.attempt_count,
        Run.worker_id,
        Run.created_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Run)
    column_searchable_list: ClassVar[Any] = [
        Run.workspace_id,
        Run.agent_id,
        Run.issue_id,
        Run.worker_id,
    ]
    column_filters: ClassVar[Any] = [EnumFilter(Run.state, RunState)]
    column_sortable_list: ClassVar[Any] = [Run.created_at, Run.state]


class WorkerAdmin(ReadOnlyView, model=Worker):
    icon = "fa-solid fa-server"
    column_list: ClassVar[Any] = [
        Worker.id,
        Worker.name,
        Worker.host,
        Worker.pid,
        Worker.current_run_id,
        Worker.registered_by_user_id,
        Worker.last_heartbeat_at,
        Worker.started_at,
        Worker.stopped_at,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Worker)
    column_searchable_list: ClassVar[Any] = [
        Worker.id,
        Worker.name,
        Worker.host,
        Worker.registered_by_user_id,
    ]
    column_sortable_list: ClassVar[Any] = [
        Worker.last_heartbeat_at,
        Worker.started_at,
        Worker.stopped_at,
    ]
    column_default_sort: ClassVar[Any] = ("last_heartbeat_at", True)
    can_delete = True


class EventAdmin(ReadOnlyView, model=Event):
    icon = "fa-solid fa-bolt"
    column_list: ClassVar[Any] = [
        Event.created_at,
        Event.event_type,
        Event.workspace_id,
        Event.run_id,
        Event.worker_id,
        Event.message,
    ]
    column_details_list: ClassVar[Any] = plain_columns(Event)
    column_searchable_list: ClassVar[Any] = [
        Event.message,
        Event.run_id,
        Event.workspace_id,
        Event.worker_id,
    ]
    column_filters: ClassVar[Any] = [EnumFilter(Event.event_type, EventType)]
    column_sortable_list: ClassVar[Any] = [Event.created_at]


class NonceAdmin(ReadOnlyView, model=Nonce):
    icon = "fa-solid fa-fingerprint"
    column_list: ClassVar[Any] = [
        Nonce.id,
        Nonce.scope,
        Nonce.key,
        Nonce.status_code,
        Nonce.expires_at,
        Nonce.created_at,
    ]
    # The stored response can hold a secret (an API key created with an Idempotency-Key, a
    # pending sign-in's PKCE verifier): it is not shown.
    column_details_list: ClassVar[Any] = plain_columns(Nonce, "response")
    column_searchable_list: ClassVar[Any] = [Nonce.scope, Nonce.key]
    column_sortable_list: ClassVar[Any] = [Nonce.expires_at, Nonce.created_at]
    can_delete = True


RUN_VIEWS = (RunAdmin, WorkerAdmin, EventAdmin, NonceAdmin)
