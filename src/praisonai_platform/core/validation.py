"""Values every database stores as given: no framework, used by request schemas and services."""

from __future__ import annotations

import math
from typing import Any


def unstorable(value: Any) -> str | None:
    """Why `value` (text, a number, or lists and objects of them) would not be stored faithfully
    by both databases, or None when it would: NUL characters, unpaired surrogates, NaN and
    Infinity, anywhere inside it, object keys included."""
    if isinstance(value, str):
        if "\x00" in value:
            return "text must not contain NUL characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text must be valid Unicode"
    elif isinstance(value, float):
        if not math.isfinite(value):
            return "numbers must be finite (no NaN or Infinity)"
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = unstorable(key) or unstorable(item)
            if problem is not None:
                return problem
    elif isinstance(value, list | tuple):
        for item in value:
            problem = unstorable(item)
            if problem is not None:
                return problem
    return None
