"""Requests described as data: what to send and how to read the answer, with no I/O.

Resources build these; the sync and the async executor send them. A `Call` is one request. A
flow is a generator that yields calls and receives their results (errors are thrown into it),
for operations that take several requests, such as finding an issue by key alone, or that
poll (a `Pause` between requests).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from praisonai_platform.client.errors import ValidationError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

API_PREFIX = "/api/v1"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.UNSET
"""Default of update arguments: leave the field as it is (None clears it where it may be empty)."""
Unset = Literal[_Unset.UNSET]


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    method: str
    path: str
    read: Callable[[httpx.Response], T]
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def idempotent(self) -> bool:
        """Safe to send again: the method says so, or the caller gave an idempotency key."""
        return self.method in IDEMPOTENT_METHODS or IDEMPOTENCY_HEADER in self.headers

    def with_params(self, **changes: Any) -> Call[T]:
        params = {**self.params, **changes}
        return replace(self, params={k: v for k, v in params.items() if v is not None})


@dataclass(frozen=True, slots=True)
class Local(Generic[T]):
    """An operation answered without a request (e.g. forgetting the token on logout)."""

    value: T


@dataclass(frozen=True, slots=True)
class Pause:
    """A flow step that sends nothing: the executor sleeps `seconds` (e.g. between polls), the
    sync one blocking, the async one awaiting, and resumes the flow with None."""

    seconds: float


Flow = Generator[Call[Any] | Pause, Any, T]
Operation = Call[T] | Local[T] | Flow[T]


def api_path(*segments: str, slash: bool = False) -> str:
    """`/api/v1/a/b/…` with each segment escaped; `slash` adds the trailing "/" of 0.1.9 paths."""
    for segment in segments:
        if not isinstance(segment, str) or not segment.strip():
            raise ValidationError("an id or key is missing (empty)", code="invalid_argument")
    path = "/".join([API_PREFIX, *(quote(segment, safe="") for segment in segments)])
    return path + "/" if slash else path


def read_model(model: type[M]) -> Callable[[httpx.Response], M]:
    def read(response: httpx.Response) -> M:
        return model.model_validate_json(response.content)

    return read


def read_nothing(_response: httpx.Response) -> None:
    return None


def query(**values: Any) -> dict[str, Any]:
    """Query parameters: None is left out, lists repeat the key, enums and dates become text."""
    params: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or value is UNSET:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            items = [_text(item) for item in value if item is not None]
            if items:
                params[name] = items
        else:
            params[name] = _text(value)
    return params


def body(**values: Any) -> dict[str, Any]:
    """A create body: arguments left at None are not sent, so the server's defaults apply."""
    return {name: _json(value) for name, value in values.items() if value is not None}


def changes(**values: Any) -> dict[str, Any]:
    """An update body: only arguments given are sent; None is sent as null (clears)."""
    return {name: _json(value) for name, value in values.items() if value is not UNSET}


def idempotency(key: str | None) -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: key} if key else {}


def _text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, tuple | set | frozenset):
        return [_json(item) for item in value]
    return value
