"""`serve` on PostgreSQL with no PLATFORM_JWT_SECRET: the signing secret is kept in the database,
so sign-ins survive restarts and servers of one deployment (on any machine) agree on it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from praisonai_platform.config import derive_alembic_database_url
from praisonai_platform.db.server_secrets import NoSecretTable, database_secret
from tests.client.test_serve import UNCONFIGURED, me_status, register
from tests.live.conftest import LiveServer, start_server, stop_server


def stored_secrets(database_url: str) -> list[str]:
    engine = create_engine(derive_alembic_database_url(database_url))
    try:
        with engine.connect() as connection:
            return list(connection.scalars(text("SELECT value FROM server_secrets")))
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_a_sign_in_survives_a_restart_and_servers_agree(db_url: str, tmp_path: Path) -> None:
    first = start_server(db_url, tmp_path / "first.log", environment=UNCONFIGURED)
    try:
        token = register(first)
        second = start_server(db_url, tmp_path / "second.log", environment=UNCONFIGURED)
        try:
            assert me_status(second, token) == 200, "another server of the deployment refused it"
        finally:
            stop_server(second)
    finally:
        stop_server(first)
    restarted: LiveServer = start_server(db_url, tmp_path / "third.log", environment=UNCONFIGURED)
    try:
        assert me_status(restarted, token) == 200, "the restart signed everyone out"
    finally:
        stop_server(restarted)
    assert len(stored_secrets(db_url)) == 1
    assert "PLATFORM_JWT_SECRET is not set" not in restarted.log()


def test_processes_racing_for_the_secret_all_get_the_one_that_won(db_url: str) -> None:
    sync_url = derive_alembic_database_url(db_url)
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(10)

    def take() -> None:
        try:
            start.wait()
            results.append(database_secret(sync_url, "jwt_signing"))
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == 10 and len(set(results)) == 1
    assert len(results[0]) >= 32
    assert database_secret(sync_url, "jwt_signing") == results[0]
    assert database_secret(sync_url, "other") != results[0]


def test_a_database_without_the_table_says_so(empty_db_url: str) -> None:
    with pytest.raises(NoSecretTable, match="run the migrations"):
        database_secret(derive_alembic_database_url(empty_db_url), "jwt_signing")
