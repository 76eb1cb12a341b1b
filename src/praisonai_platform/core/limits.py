"""How much the platform accepts: the one home of the size and range limits that request schemas
declare and services enforce (the worker process reaches the services without the schemas).

Lengths are in characters, sizes of JSON in UTF-8 bytes.
"""

from __future__ import annotations

# Text anywhere.
MAX_TITLE = 500
MAX_NAME = 200
MAX_TEXT = 100_000
MAX_ID = 64

# JSON: how deep a value (a request body, or any JSON value stored) may nest, and how large a
# stored value without a limit of its own (agent config, workspace and project settings) may be.
MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 100_000
# A request body may nest one level more: the object around its fields.
MAX_BODY_JSON_DEPTH = MAX_JSON_DEPTH + 1
# Responses show stored JSON this deep (the audit trail wraps values in a few levels of its own);
# deeper parts, only in rows stored before depth was limited, are shown as a marker.
MAX_JSON_DEPTH_SHOWN = MAX_JSON_DEPTH + 8

# Whole numbers stored in 32-bit integer columns.
MAX_COUNT = 2**31 - 1

# Runs.
DEFAULT_MAX_ATTEMPTS = 3
MAX_ATTEMPTS = 100
MAX_PARAMETERS_BYTES = 100_000
MAX_PROGRESS = 100
MAX_CURRENT_STEP = 500
MAX_FAILURE_REASON = 100
MAX_RESULT_BYTES = 1_000_000
MAX_EVENT_CONTEXT_BYTES = 1_000_000
# A run's final message is posted whole on its issue; its event keeps the beginning.
MAX_EVENT_SUMMARY = 500
# A failed handler's error as the worker process reports it.
MAX_HANDLER_ERROR = 10_000

# Workers.
MAX_WORKER_ID = 100
WORKER_ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._:@-]{{0,{MAX_WORKER_ID - 1}}}$"
MAX_HOST = 255
MAX_HEARTBEAT_RUNS = 1000

# Metering: each step of a run is named or numbered, and charged at most this much.
MAX_STEP_NAME = 100
MAX_STEP_AMOUNT = 10**12
# A run's budget: what its steps may cost together, at most a million credits.
MAX_RUN_BUDGET = 10**12

# Credits, in integer micro-credits: one ledger entry moves at most a billion credits.
MAX_AMOUNT = 10**15

# The ids the platform generates (UUIDs as text).
ID_LENGTH = 36
