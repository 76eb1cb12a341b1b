"""The worker's log: a line for each claim, completion, failure, retry, stop, release and
reclaim, naming the run, its issue and how long it took; plain text, or JSON lines for log
collectors (PLATFORM_WORKER_LOG_FORMAT=json)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

logger = logging.getLogger("praisonai_platform.worker")

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes a record may carry (`extra=`), copied into each JSON line.
FIELDS = (
    "event",
    "run_id",
    "issue_key",
    "attempt",
    "max_attempts",
    "duration_seconds",
    "worker_id",
    "reason",
    "state",
    "database",
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the run's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: str, log_format: LogFormat) -> None:
    """Send every log record to stderr, as text lines or JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level, handlers=[handler], force=True)


def run_event(
    event: str,
    message: str,
    *,
    run_id: str,
    issue_key: str | None,
    duration: float | None,
    detail: str = "",
    level: int = logging.INFO,
    **fields: Any,
) -> None:
    """Log what happened to a run as "run <id> [<issue>] <message> <duration>s<detail>"."""
    seconds = round(max(duration, 0.0), 3) if duration is not None else None
    took = f"{seconds:.2f}s" if seconds is not None else "an unknown time"
    text = f"run {run_id} [{issue_key or 'no issue'}] {message} {took}{detail}"
    logger.log(
        level,
        "%s",
        text,
        extra={
            "event": event,
            "run_id": run_id,
            "issue_key": issue_key,
            "duration_seconds": seconds,
            **fields,
        },
    )
