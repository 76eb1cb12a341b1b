"""Shorthands for the calls resources build."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from praisonai_platform.client.calls import Call, idempotency, query, read_model, read_nothing
from praisonai_platform.client.pages import Page, listing_call, read_page

M = TypeVar("M", bound=BaseModel)


def get(path: str, model: type[M]) -> Call[M]:
    return Call("GET", path, read_model(model))


def create(
    path: str, model: type[M], json: dict[str, Any], idempotency_key: str | None = None
) -> Call[M]:
    return Call("POST", path, read_model(model), json=json, headers=idempotency(idempotency_key))


def update(
    path: str, model: type[M], json: dict[str, Any], headers: dict[str, str] | None = None
) -> Call[M]:
    return Call("PATCH", path, read_model(model), json=json, headers=headers or {})


def delete(path: str) -> Call[None]:
    return Call("DELETE", path, read_nothing)


def action(method: str, path: str) -> Call[None]:
    """A request without a body whose success is its status (e.g. attaching a label)."""
    return Call(method, path, read_nothing)


def listing(path: str, model: type[M], **params: Any) -> Call[Page[M]]:
    return listing_call(path, read_page(model), query(**params))
