"""Clients of praisonai-platform 0.1.9 keep working: our OpenAPI document is a superset of its."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from praisonai_platform.api.app import create_app
from praisonai_platform.core.server_settings import ServerSettings

REFERENCE = json.loads(
    (Path(__file__).parents[1] / "data" / "praisonai-platform-0.1.9-openapi.json").read_text()
)
OURS = create_app(ServerSettings(jwt_secret="x" * 40)).openapi()
# 0.1.9 leaked these dependency internals into its interface; no client sets them.
IGNORED_PARAMETERS = {"min_role", "authorization"}

OPERATIONS = [
    (path, method) for path, operations in REFERENCE["paths"].items() for method in operations
]


def resolve(document: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    if not schema:
        return {}
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return dict(document["components"]["schemas"][name])
    if schema.get("type") == "array":
        return resolve(document, schema.get("items"))
    return schema


def body_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    return resolve(document, content.get("application/json", {}).get("schema"))


def success_schema(
    document: dict[str, Any], operation: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    status, response = next(
        (code, r) for code, r in operation["responses"].items() if code.startswith("2")
    )
    content = response.get("content", {}).get("application/json", {})
    return status, resolve(document, content.get("schema"))


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_019_operation_exists_with_its_fields(path: str, method: str) -> None:
    assert path in OURS["paths"] and method in OURS["paths"][path], f"{method} {path} missing"
    theirs, ours = REFERENCE["paths"][path][method], OURS["paths"][path][method]

    their_parameters = {
        (p["name"], p["in"])
        for p in theirs.get("parameters", [])
        if p["name"] not in IGNORED_PARAMETERS
    }
    our_parameters = {(p["name"], p["in"]) for p in ours.get("parameters", [])}
    assert their_parameters <= our_parameters

    their_body, our_body = body_schema(REFERENCE, theirs), body_schema(OURS, ours)
    assert set(their_body.get("properties", {})) <= set(our_body.get("properties", {}))
    assert set(our_body.get("required", [])) <= set(their_body.get("required", [])), (
        "we must not require a field 0.1.9 clients may leave out"
    )

    their_status, their_response = success_schema(REFERENCE, theirs)
    our_status, our_response = success_schema(OURS, ours)
    assert our_status == their_status
    assert set(their_response.get("properties", {})) <= set(our_response.get("properties", {}))
    assert set(their_response.get("required", [])) <= set(our_response.get("required", []))
