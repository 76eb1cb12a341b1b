"""Property-based fuzzing of every operation in the app's own OpenAPI document.

Schemathesis generates valid and invalid requests for each operation, signed in as the owner of a
workspace that holds one of everything, with the real ids in the path; a live server must answer
without a 5xx and with bodies that match the documented schemas.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from praisonai_platform.api.app import create_app
from praisonai_platform.core.server_settings import ServerSettings
from tests.conftest import empty_postgres
from tests.live.conftest import LiveServer, start_server, stop_server

# Per operation and backend: every operation is still fuzzed with valid and invalid input, on a
# budget the whole suite's ten minutes can afford (the examples are derandomized, so repeatable).
MAX_EXAMPLES = 5


@dataclass
class World:
    server: LiveServer
    headers: dict[str, str]
    ids: dict[str, str]


def _create_world(base_url: str) -> tuple[dict[str, str], dict[str, str]]:
    with httpx.Client(base_url=base_url, timeout=30) as client:

        def sign_up(email: str) -> dict[str, Any]:
            account = {"email": email, "password": "fuzz-password"}
            registered = client.post("/api/v1/auth/register", json=account)
            assert registered.status_code == 202, registered.text
            return dict(client.post("/api/v1/auth/login", json=account).json())

        owner, helper = sign_up("fuzz@example.com"), sign_up("helper@example.com")
        headers = {"Authorization": f"Bearer {owner['token']}"}

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = client.post(path, json=body, headers=headers)
            assert response.status_code == 201, (path, response.text)
            return dict(response.json())

        workspace = post("/api/v1/workspaces/", {"name": "Fuzz", "issue_prefix": "FZ"})
        ws = f"/api/v1/workspaces/{workspace['id']}"
        post(f"{ws}/members", {"user_id": helper["user"]["id"], "role": "member"})
        project = post(f"{ws}/projects/", {"title": "Fuzz project"})
        agent = post(f"{ws}/agents/", {"name": "Fuzz agent"})
        label = post(f"{ws}/labels", {"name": "fuzz"})
        issue = post(f"{ws}/issues/", {"title": "Fuzz issue", "project_id": project["id"]})
        other = post(f"{ws}/issues/", {"title": "Other issue"})
        comment = post(f"{ws}/issues/{issue['id']}/comments", {"content": "hello"})
        dependency = post(
            f"{ws}/issues/{issue['id']}/dependencies/", {"depends_on_issue_id": other["id"]}
        )
    ids = {
        "workspace_id": workspace["id"],
        "project_id": project["id"],
        "agent_id": agent["id"],
        "label_id": label["id"],
        "issue_id": issue["id"],
        "comment_id": comment["id"],
        "dep_id": dependency["id"],
        "user_id": helper["user"]["id"],
    }
    return headers, ids


@pytest.fixture(scope="module")
def fuzz_world(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One server per backend for every operation: a database of its own, one of everything."""
    directory = tmp_path_factory.mktemp("fuzz")
    if backend == "sqlite":
        path = directory / "fuzz.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        database_url = f"sqlite+aiosqlite:///{path}"
    else:
        database_url = request.getfixturevalue("postgres_database")
        empty_postgres(database_url)
    # Direct membership lets the world add its second member by id (an invitation would need
    # that person's emailed verification link); every operation is fuzzed either way.
    server = start_server(
        database_url, directory / "server.log", environment={"PLATFORM_DIRECT_MEMBERSHIP": "true"}
    )
    try:
        headers, ids = _create_world(server.base_url)
        yield World(server=server, headers=headers, ids=ids)
    finally:
        stop_server(server)


# The live event stream never ends, so its answer cannot be read whole (tests/events covers it,
# and its pages, /events/feed, are fuzzed here).
OPENAPI = create_app(ServerSettings(jwt_secret="x" * 40)).openapi()
STREAM = "/api/v1/workspaces/{workspace_id}/events/stream"


def fuzzed_schema(*, coverage: bool) -> Any:
    schema = schemathesis.openapi.from_dict(OPENAPI).exclude(path=STREAM)
    schema.config.phases.coverage.enabled = coverage
    return schema


# Schemathesis' coverage phase (each parameter's and field's boundaries, missing and wrongly typed
# values: deterministic, and most of the cost) runs on PostgreSQL, the stricter backend about what
# it stores (lengths, NUL bytes, integer ranges); random examples run on both.
WITH_COVERAGE = fuzzed_schema(coverage=True)
EXAMPLES_ONLY = fuzzed_schema(coverage=False)
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def call_and_validate(case: Any, world: World) -> None:
    for name in case.path_parameters or {}:
        if name in world.ids:
            case.path_parameters[name] = world.ids[name]
    case.call_and_validate(
        base_url=world.server.base_url,
        headers=world.headers,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )


@pytest.mark.postgres_only
@WITH_COVERAGE.parametrize()
@HYPOTHESIS
def test_no_operation_fails_or_breaks_its_schema(case: Any, fuzz_world: World) -> None:
    call_and_validate(case, fuzz_world)


@pytest.mark.sqlite_only
@EXAMPLES_ONLY.parametrize()
@HYPOTHESIS
def test_no_operation_fails_on_random_input(case: Any, fuzz_world: World) -> None:
    call_and_validate(case, fuzz_world)
