"""Values every database stores as given, and JSON of bounded depth: no framework, used by the
request guard, request schemas and services (the worker process reaches services directly).

Depth counts containers: `1` and `"text"` have depth 0, `{}` and `[1, 2]` depth 1,
`{"a": [1]}` depth 2. Every check here walks values with an explicit stack, never by recursion,
so a value nested thousands of levels deep is refused instead of exhausting the Python stack.
"""

from __future__ import annotations

import math
import re
from typing import Any

# What responses show in place of the part of a stored value nested deeper than they show
# (only rows stored before depth was limited can hold such values).
TOO_DEEP_MARKER = "[nested too deep to show]"


def unstorable(value: Any) -> str | None:
    """Why `value` (text, a number, or lists and objects of them) would not be stored faithfully
    by both databases, or None when it would: NUL characters, unpaired surrogates, NaN and
    Infinity, anywhere inside it, object keys included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "text must not contain NUL characters"
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "text must be valid Unicode"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "numbers must be finite (no NaN or Infinity)"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return None


def deeper_than(value: Any, max_depth: int) -> bool:
    """Whether `value` nests lists and objects more than `max_depth` levels deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def clip_depth(value: Any, max_depth: int) -> Any:
    """`value` itself when it nests at most `max_depth` levels; else a copy in which every list
    or object below that depth is replaced by TOO_DEEP_MARKER."""
    if not deeper_than(value, max_depth):
        return value
    return _clip(value, max_depth)


def _clip(value: Any, levels: int) -> Any:
    # Recursion is bounded by `levels`: below it nothing is descended into.
    if isinstance(value, dict):
        if levels == 0:
            return TOO_DEEP_MARKER
        return {key: _clip(item, levels - 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        if levels == 0:
            return TOO_DEEP_MARKER
        return [_clip(item, levels - 1) for item in value]
    return value


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")


def text_deeper_than(raw: bytes | str, max_depth: int) -> bool:
    """Whether the JSON text `raw` nests more than `max_depth` levels, found without parsing it
    (a parser recurses once per level: it is what this protects). Brackets inside strings do
    not count. Exact for well-formed JSON; malformed text is never let through with more than
    twice `max_depth` levels open at once, and the parser then refuses it anyway.

    Linear and C-speed: escapes, then strings, then everything but brackets are removed, and
    innermost pairs `[]` are removed once per level, at most `max_depth` times.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False
    # Escapes first: then no string holds a quote, and `"[^"]*"` never backtracks.
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", data)).translate(_SQUARE, _NOT_BRACKET)
    for _ in range(max_depth):
        if not brackets:
            return False
        inner_removed = brackets.replace(b"[]", b"")
        if len(inner_removed) == len(brackets):
            break
        brackets = inner_removed
    # A pair still standing is nested deeper than max_depth; what is left once no pair stands
    # has the form `]]][[[`, whose openers are never closed.
    return b"[]" in brackets or brackets.count(b"[") > max_depth
