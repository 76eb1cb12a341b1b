"""`PlanItem` is the platform's run (table `runs`); `PlanState` its states, which carry
PlanExe's names (pending, processing, completed, failed, plus stopped).

PlanExe's columns: `timestamp_created` is `created_at`, `user_id` is `created_by_id` (who queued
the run, and pays for it), `last_seen_timestamp` is `last_seen_at`; the prompt and other inputs
live in `parameters`.
"""

from __future__ import annotations

import enum

from sqlalchemy.orm import synonym

from praisonai_platform.db.models import Run, RunState

__all__ = ["PlanItem", "PlanState"]


class PlanState(enum.StrEnum):
    """The run states under PlanExe's member names; each equals the platform's `RunState` of the
    same value (`PlanState.pending == RunState.PENDING`), in queries and comparisons alike."""

    pending = RunState.PENDING.value
    processing = RunState.PROCESSING.value
    completed = RunState.COMPLETED.value
    failed = RunState.FAILED.value
    stopped = RunState.STOPPED.value


class PlanItem(Run):
    timestamp_created = synonym("created_at")
    user_id = synonym("created_by_id")
    last_seen_timestamp = synonym("last_seen_at")

    def has_parameter_key(self, key: str) -> bool:
        return isinstance(self.parameters, dict) and key in self.parameters
