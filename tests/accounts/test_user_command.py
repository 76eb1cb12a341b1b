"""`praisonai-platform user create --admin` makes the first admin, straight in the database."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from praisonai_platform.accounts import passwords
from praisonai_platform.cli.app import app
from praisonai_platform.config import derive_alembic_database_url
from tests.forkserver import run_cli

runner = CliRunner()


@pytest.fixture
def database(db_url: str) -> Iterator[Engine]:
    engine = create_engine(derive_alembic_database_url(db_url))
    yield engine
    engine.dispose()


def user_row(engine: Engine, email: str) -> dict[str, object] | None:
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT name, email, is_admin, password_hash, email_verified_at FROM users "
                "WHERE email = :email"
            ),
            {"email": email},
        ).one_or_none()
    return dict(row._mapping) if row is not None else None


def test_user_create_admin_asks_for_the_password(
    db_url: str, database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As at a terminal: the runner's standard input is not one, so the prompt would be refused.
    monkeypatch.setattr("praisonai_platform.cli.user_commands.need_a_terminal", lambda _: None)
    result = runner.invoke(
        app,
        ["user", "create", "--email", "Root@Example.com", "--admin", "--database-url", db_url],
        input="a long password\na long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin root <root@example.com>" in result.output
    assert "a long password" not in result.output  # typed unseen
    row = user_row(database, "root@example.com")
    assert row is not None and row["is_admin"] in (True, 1) and row["name"] == "root"
    assert passwords._hasher().verify("a long password", str(row["password_hash"]))


def test_user_create_reads_the_password_from_standard_input(db_url: str, database: Engine) -> None:
    result = runner.invoke(
        app,
        [
            "user",
            "create",
            "--email",
            "ci@example.com",
            "--password-stdin",
            "--database-url",
            db_url,
        ],
        input="a password from a pipe\n",
    )
    assert result.exit_code == 0, result.output
    row = user_row(database, "ci@example.com")
    assert row is not None
    assert passwords._hasher().verify("a password from a pipe", str(row["password_hash"]))
    assert row["email_verified_at"] is not None  # the operator vouches for the address


def test_user_create_without_a_terminal_or_password_is_an_error_line(
    db_url: str, database: Engine
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))}
    completed = run_cli(
        "user", "create", "--email", "nobody@example.com", "--database-url", db_url,
        env=environment, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: no password"), completed.stderr
    assert "Traceback" not in completed.stderr and "GetPassWarning" not in completed.stderr
    assert user_row(database, "nobody@example.com") is None


def test_user_create_takes_the_database_and_password_from_the_environment(
    db_url: str, database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLATFORM_USER_PASSWORD", "another long one")
    result = runner.invoke(app, ["user", "create", "--email", "ops@example.com", "--name", "ops"])
    assert result.exit_code == 0, result.output
    assert "created user ops <ops@example.com>" in result.output
    row = user_row(database, "ops@example.com")
    assert row is not None and row["is_admin"] in (False, 0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--email", "not-an-email", "--password", "long enough"], "not a valid email"),
        (["--email", "a@example.com", "--password", "short"], "a password has at least 8"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    db_url: str, database: Engine, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["user", "create", *arguments, "--database-url", db_url])
    assert result.exit_code == 1
    assert message in result.output
    assert user_row(database, "a@example.com") is None


def test_an_existing_email_is_refused_and_can_be_promoted(db_url: str, database: Engine) -> None:
    create = ["user", "create", "--email", "me@example.com", "--password", "long enough"]
    assert runner.invoke(app, [*create, "--database-url", db_url]).exit_code == 0
    again = runner.invoke(app, [*create, "--admin", "--database-url", db_url])
    assert again.exit_code == 1 and "already exists" in again.output
    promoted = runner.invoke(app, ["user", "promote", "ME@example.com", "--database-url", db_url])
    assert promoted.exit_code == 0 and "is an admin" in promoted.output
    assert user_row(database, "me@example.com")["is_admin"] in (True, 1)  # type: ignore[index]
    revoked = runner.invoke(
        app, ["user", "promote", "me@example.com", "--revoke", "--database-url", db_url]
    )
    assert revoked.exit_code == 0 and "is not an admin" in revoked.output
    missing = runner.invoke(
        app, ["user", "promote", "nobody@example.com", "--database-url", db_url]
    )
    assert missing.exit_code == 1 and "no user" in missing.output


def test_the_in_memory_database_is_refused() -> None:
    result = runner.invoke(
        app, ["user", "create", "--email", "a@example.com", "--password", "long enough"]
    )
    assert result.exit_code == 1 and "DATABASE_URL" in result.output
