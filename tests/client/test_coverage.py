"""Every operation of the work-tracking and runs APIs has an SDK method, sync and async alike."""

from __future__ import annotations

import inspect
import re
from typing import Any

from praisonai_platform.api.app import create_app
from praisonai_platform.client import AsyncPlatformClient, PlatformClient
from praisonai_platform.client.calls import Call
from praisonai_platform.client.endpoints import Endpoint, Resource
from praisonai_platform.core.server_settings import ServerSettings

COVERED_TAGS = {
    "auth",
    "workspaces",
    "members",
    "invitations",
    "projects",
    "issues",
    "comments",
    "labels",
    "dependencies",
    "agents",
    "activity",
    "api keys",
    "runs",
    "workers",
    "events",
    "search",
    "webhooks",
}


# Operations meant for a browser rather than a client: the verification mail's link (the SDK
# verifies with POST /auth/verify-email).
BROWSER_ONLY = {("GET", "/api/v1/auth/verify-email")}


def _server_operations() -> set[tuple[str, str]]:
    spec = create_app(ServerSettings(jwt_secret="x" * 40)).openapi()
    return {
        (method.upper(), _shape(path))
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if COVERED_TAGS & set(operation.get("tags", []))
    } - BROWSER_ONLY


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path).rstrip("/")


def _endpoints(client: Any) -> dict[str, tuple[Any, Endpoint[Any, Any]]]:
    found: dict[str, tuple[Any, Endpoint[Any, Any]]] = {}
    namespaces = {"client": client} | {
        name: value for name, value in vars(client).items() if isinstance(value, Resource)
    }
    for namespace_name, namespace in namespaces.items():
        for name, attribute in inspect.getmembers(type(namespace)):
            if isinstance(attribute, Endpoint):
                found[f"{namespace_name}.{name}"] = (namespace, attribute)
    return found


def _calls_of(namespace: Any, endpoint: Endpoint[Any, Any]) -> list[Call[Any]]:
    """The requests an endpoint makes, with and without its optional `issue_id`."""
    parameters = list(inspect.signature(endpoint.build).parameters.values())[1:]
    arguments = {
        parameter.name: f"id{index}"
        for index, parameter in enumerate(parameters)
        if parameter.default is inspect.Parameter.empty
    }
    if endpoint.__name__ == "get_by_key":
        arguments.update(key="ENG-1", workspace_id="id0")
    variants = [arguments]
    if any(p.name == "issue_id" for p in parameters) and "issue_id" not in arguments:
        variants.append({**arguments, "issue_id": "id9"})
    operations = [endpoint.build(namespace, **variant) for variant in variants]
    calls = [_first_call(operation) for operation in operations]
    return [call for call in calls if call is not None]


def _first_call(operation: Any) -> Call[Any] | None:
    """The request an operation sends first: itself, or a flow's first step (such as
    `register`, which may sign in next)."""
    if inspect.isgenerator(operation):
        step = next(operation)
        operation.close()
        operation = step
    return operation if isinstance(operation, Call) else None


def test_every_api_operation_has_a_client_method() -> None:
    with PlatformClient("http://platform.test") as client:
        calls = {
            (call.method, _shape(re.sub(r"/id\d+|/ENG-1", "/{}", call.path)))
            for namespace, endpoint in _endpoints(client).values()
            for call in _calls_of(namespace, endpoint)
        }
    missing = _server_operations() - calls
    assert not missing, f"no SDK method for {sorted(missing)}"


def test_both_clients_have_the_same_surface() -> None:
    with PlatformClient("http://platform.test") as sync_client:
        sync_surface = set(_endpoints(sync_client))
    async_client = AsyncPlatformClient("http://platform.test")
    assert set(_endpoints(async_client)) == sync_surface
    assert inspect.iscoroutinefunction(async_client.issues.create) is False  # a plain callable
    coroutine = async_client.workspaces.get("w1")
    assert inspect.iscoroutine(coroutine)
    coroutine.close()
    assert len(sync_surface) >= 45
