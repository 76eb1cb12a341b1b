"""`WorkerItem` is the platform's worker record (table `workers`); PlanExe's
`current_task_id` is `current_run_id`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import synonym

from praisonai_platform.core.clock import utcnow
from praisonai_platform.db.compat import db
from praisonai_platform.db.models import Worker

__all__ = ["WorkerItem"]


class WorkerItem(Worker):
    current_task_id = synonym("current_run_id")

    @classmethod
    def upsert_heartbeat(cls, worker_id: str, current_task_id: str | None = None) -> None:
        """Register the worker or record its heartbeat and current run, in one atomic upsert
        (no read first, so concurrent heartbeats never collide), and commit."""
        now = utcnow()
        insert: Any = (postgresql if _dialect() == "postgresql" else sqlite).insert
        statement = insert(Worker).values(
            id=worker_id,
            name=worker_id,
            started_at=now,
            last_heartbeat_at=now,
            current_run_id=current_task_id,
            created_at=now,
            updated_at=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=[Worker.id],
            set_={
                "last_heartbeat_at": now,
                "current_run_id": current_task_id,
                "updated_at": now,
            },
        )
        try:
            db.session.execute(statement)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def _dialect() -> str:
    return db.engine.dialect.name
