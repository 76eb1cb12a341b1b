"""Settings are built by one helper whose errors name the variable, and read once per process."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic_settings import BaseSettings

from praisonai_platform.api.admin.settings import load_admin_settings
from praisonai_platform.billing.settings import BillingSettings, load_billing_settings
from praisonai_platform.config import Settings
from praisonai_platform.core.errors import ConfigurationError
from praisonai_platform.core.server_settings import load_serve_settings, load_server_settings
from praisonai_platform.core.settings import load
from praisonai_platform.runs.settings import RunSettings, load_run_settings
from praisonai_platform.worker.context import ClaimedRun, RunContext
from praisonai_platform.worker.loop import WorkerLoop
from praisonai_platform.worker.settings import load_worker_settings
from tests.credits.conftest import *  # noqa: F403
from tests.credits.conftest import fund
from tests.runs.helpers import API, World, build_world, create_run, register_worker


def test_a_bad_value_names_its_variable_and_hides_pydantic() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(RunSettings, {"PLATFORM_RUN_LEASE_SECONDS": "soon"})
    assert str(caught.value).startswith(
        "invalid configuration: PLATFORM_RUN_LEASE_SECONDS: Input should be a valid number"
    )
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_every_bad_value_is_named_at_once() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(Settings, {"APP_DATABASE_POOL_SIZE": "many", "RUN_DB_MIGRATIONS": "perhaps"})
    message = str(caught.value)
    assert "APP_DATABASE_POOL_SIZE: Input should be a valid integer" in message
    assert "; RUN_DB_MIGRATIONS: Input should be a valid boolean" in message


def test_a_rule_across_fields_keeps_its_own_message() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(RunSettings, {"PLATFORM_RUN_HEARTBEAT_SECONDS": "60"})
    assert str(caught.value).startswith("invalid configuration: Value error, ")
    assert "PLATFORM_RUN_HEARTBEAT_SECONDS must be shorter than PLATFORM_RUN_LEASE_SECONDS" in (
        str(caught.value)
    )


def test_a_bad_entry_of_a_json_value_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="PLATFORM_BILLING_MICRO_CREDITS_PER_UNIT: "):
        load(BillingSettings, {"PLATFORM_BILLING_MICRO_CREDITS_PER_UNIT": '{"usd": 0}'})


def test_a_given_environment_replaces_the_process_one_and_overrides_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLATFORM_RUN_LEASE_SECONDS", "5")
    monkeypatch.setenv("PLATFORM_RUN_HEARTBEAT_SECONDS", "1")
    assert load(RunSettings, {}).lease_seconds == 60
    assert load(RunSettings).lease_seconds == 5
    given = {"platform_run_lease_seconds": "90", "PLATFORM_RUN_HEARTBEAT_SECONDS": "3"}
    assert (load(RunSettings, given).lease_seconds, load(RunSettings, given).heartbeat_seconds) == (
        90,
        3,
    )
    assert load(RunSettings, given, lease_seconds=120).lease_seconds == 120
    assert load(Settings, {"DATABASE_URL": "sqlite:///./x.db"}).plain_database_url == (
        "sqlite:///./x.db"
    )


@pytest.mark.parametrize(
    ("loader", "variable", "value"),
    [
        (load_server_settings, "PLATFORM_JWT_TTL_SECONDS", "5"),
        (load_server_settings, "PLATFORM_ENV", "staging"),
        (load_serve_settings, "PLATFORM_PORT", "http"),
        (load_serve_settings, "PLATFORM_LOG_LEVEL", "chatty"),
        (load_run_settings, "PLATFORM_RUN_NONCE_TTL_SECONDS", "0"),
        (load_worker_settings, "PLATFORM_WORKER_POLL_SECONDS", "-1"),
        (load_admin_settings, "PLATFORM_ADMIN_SESSION_MAX_AGE_SECONDS", "10"),
        (load_billing_settings, "PLATFORM_BILLING_MIN_BALANCE", "-1"),
    ],
)
def test_each_loader_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, loader: Callable[[], object], variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=f"^invalid configuration: {variable}: "):
        loader()


def test_log_levels_are_read_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLATFORM_LOG_LEVEL", "WARNING")
    assert load_serve_settings().log_level == "warning"


# Read once --------------------------------------------------------------------------------------


def count_settings_built(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts every settings object built from now on, by class name."""
    built: Counter[str] = Counter()
    original = BaseSettings.__init__

    def counting(self: BaseSettings, *args: Any, **kwargs: Any) -> None:
        built[type(self).__name__] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(BaseSettings, "__init__", counting)
    return built


@pytest.fixture
async def world(client: httpx.AsyncClient, make_user, make_workspace, add_member) -> World:  # type: ignore[no-untyped-def]
    return await build_world(client, make_user, make_workspace, add_member)


async def test_requests_use_the_settings_read_when_the_app_was_created(
    client: httpx.AsyncClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    reload_billing: Callable[[], None],
) -> None:
    monkeypatch.setenv("PLATFORM_BILLING_ENABLED", "true")
    monkeypatch.setenv("PLATFORM_BILLING_MIN_BALANCE", "10")
    reload_billing()
    await fund(world.owner.id, 1_000)
    built = count_settings_built(monkeypatch)
    runs = [(await create_run(client, world))["id"] for _ in range(3)]
    delegated = await client.post(
        world.url(f"/issues/{world.issue_key}/runs"),
        json={"agent_id": world.agent_id},
        headers=world.owner.headers,
    )
    assert delegated.status_code == 201, delegated.text
    worker = await register_worker(client, world.owner)
    claimed = await client.post(
        f"{API}/runs/{runs[0]}/claim", json={"worker_id": worker}, headers=world.owner.headers
    )
    assert claimed.status_code == 200, claimed.text
    for step in range(3):
        usage = await client.post(
            f"{API}/runs/{runs[0]}/usage",
            json={"worker_id": worker, "step": step, "amount": 100},
            headers=world.owner.headers,
        )
        assert usage.json()["charged"] is True, usage.text
    balance = await client.get(f"{API}/credits", headers=world.owner.headers)
    assert balance.json()["balance"] == 700
    assert built == Counter()


async def test_an_app_built_without_settings_reads_them_once(
    app: FastAPI, client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    del app.state.billing_settings, app.state.run_settings
    built = count_settings_built(monkeypatch)
    for _ in range(3):
        await create_run(client, world)
        assert (await client.get(f"{API}/credits", headers=world.owner.headers)).status_code == 200
    assert built == Counter({"BillingSettings": 1, "RunSettings": 1})
    assert isinstance(app.state.billing_settings, BillingSettings)


def test_a_worker_reads_billing_once_and_hands_it_to_every_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = count_settings_built(monkeypatch)
    worker = WorkerLoop(lambda run, context: None, concurrency=2)
    assert built == Counter({"RunSettings": 1, "WorkerSettings": 1, "BillingSettings": 1})
    run = ClaimedRun("r", "w", "a", None, {}, 1, 3, datetime.now(UTC))
    for _ in range(3):
        context = RunContext(run, worker.worker_id, worker.run_settings, billing=worker.billing)
        assert context._billing is worker.billing
    assert built["BillingSettings"] == 1
