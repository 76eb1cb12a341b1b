"""Checks on what workers and members hand in about runs, so both databases store it as given.

The API's schemas check the same; the worker process reaches the services without them.
"""

from __future__ import annotations

import json
import math
from typing import Any

from praisonai_platform.core.errors import ValidationFailed
from praisonai_platform.core.limits import MAX_COUNT, MAX_JSON_DEPTH, MAX_PROGRESS
from praisonai_platform.core.validation import deeper_than, unstorable


def text(value: Any, field: str, max_length: int) -> str:
    """Text without NUL and valid Unicode, at most `max_length` characters."""
    if not isinstance(value, str) or len(value) > max_length or unstorable(value) is not None:
        raise ValidationFailed(
            f"{field}: text of at most {max_length} characters, without NUL", code="invalid_text"
        )
    return value


def count(value: Any, field: str) -> int:
    """A whole number that fits a 32-bit column and is not negative."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValidationFailed(
            f"{field}: a whole number from 0 to {MAX_COUNT}", code="invalid_count"
        )
    return value


def percentage(value: Any, field: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_PROGRESS
    ):
        raise ValidationFailed(
            f"{field}: a number from 0 to {MAX_PROGRESS}", code="invalid_progress"
        )
    return float(value)


def json_object(value: Any, field: str, max_bytes: int) -> dict[str, Any]:
    """A JSON object of at most `max_bytes` nesting at most MAX_JSON_DEPTH levels: finite
    numbers, text without NUL, valid Unicode."""
    if isinstance(value, dict) and deeper_than(value, MAX_JSON_DEPTH):
        raise ValidationFailed(
            f"{field}: JSON nested more than {MAX_JSON_DEPTH} levels", code="json_too_deep"
        )
    if not isinstance(value, dict) or unstorable(value) is not None:
        raise ValidationFailed(
            f"{field}: a JSON object of finite numbers and text without NUL", code="invalid_json"
        )
    try:
        size = len(json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"{field}: must hold only JSON values (text, numbers, booleans, lists, objects)",
            code="invalid_json",
        ) from None
    if size > max_bytes:
        raise ValidationFailed(f"{field}: at most {max_bytes} bytes of JSON", code="invalid_json")
    return value
