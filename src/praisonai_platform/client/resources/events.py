"""client.events: the event log of runs and workers (a run's own: client.runs.events)."""

from __future__ import annotations

from datetime import datetime

from praisonai_platform.client.calls import Call, api_path
from praisonai_platform.client.endpoints import R, Resource, endpoint, iterate
from praisonai_platform.client.pages import Page
from praisonai_platform.client.resources import requests
from praisonai_platform.client.resources.issues import OneOrMore
from praisonai_platform.runs.events.schemas import EventResponse


class Events(Resource[R]):
    @endpoint
    def list(
        self,
        workspace_id: str,
        *,
        run_id: str | None = None,
        event_type: OneOrMore = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[EventResponse]]:
        """Events of the workspace's runs, newest first; one run's with `run_id`. `event_type`
        takes one type or a list (run_pending, run_processing, run_progress, run_completed,
        run_failed, run_stopped, run_reclaimed, error, system, …); `since` (inclusive) and
        `until` (exclusive) need a time zone."""
        return requests.listing(
            api_path("workspaces", workspace_id, "events"),
            EventResponse,
            run_id=run_id,
            event_type=event_type,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    @endpoint
    def list_all(
        self,
        *,
        event_type: OneOrMore = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        offset: int | None = None,
        cursor: str | None = None,
    ) -> Call[Page[EventResponse]]:
        """Every event, workers' and the system's included, newest first (administrators)."""
        return requests.listing(
            api_path("events"),
            EventResponse,
            event_type=event_type,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            cursor=cursor,
        )

    iter = iterate(list)
    iter_all = iterate(list_all)
