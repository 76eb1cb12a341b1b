"""The container's entrypoint (docker/entrypoint.sh), run directly: it migrates once when
RUN_DB_MIGRATIONS=true, then runs the server or the command it was given."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from praisonai_platform.db.schema import head_revision

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
REPORT = "praisonai-platform db current; echo migrate-again=$RUN_DB_MIGRATIONS"


def entrypoint(
    *command: str, database_url: str, migrate: str | None, cwd: Path
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APP_", "PLATFORM_")) and key not in ("DATABASE_URL",)
    }
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment["DATABASE_URL"] = database_url
    environment.pop("RUN_DB_MIGRATIONS", None)
    if migrate is not None:
        environment["RUN_DB_MIGRATIONS"] = migrate
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *command],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_migrates_once_then_runs_the_command_without_migrating_again(
    empty_db_url: str, tmp_path: Path
) -> None:
    done = entrypoint("sh", "-c", REPORT, database_url=empty_db_url, migrate="True", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    head = head_revision()
    assert head is not None and head in done.stdout
    assert "migrate-again=false" in done.stdout


@pytest.mark.sqlite_only
def test_without_the_setting_nothing_is_migrated(empty_db_url: str, tmp_path: Path) -> None:
    done = entrypoint("true", database_url=empty_db_url, migrate=None, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "empty.db").exists() and not list(tmp_path.glob("*.db"))


@pytest.mark.sqlite_only
def test_a_failed_migration_stops_the_container_before_the_server(
    backend: str, tmp_path: Path
) -> None:
    done = entrypoint(
        "echo", "server started", database_url="mysql://nowhere/x", migrate="true", cwd=tmp_path
    )
    assert done.returncode != 0
    assert "server started" not in done.stdout
    assert "DATABASE_URL" in done.stderr


def test_the_image_installs_the_runtime_lock_at_the_development_lock_s_versions() -> None:
    def pins(name: str) -> dict[str, str]:
        text = (ROOT / name).read_text()
        return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", text, flags=re.MULTILINE))

    runtime, development = pins("requirements-runtime.lock"), pins("requirements.lock")
    assert runtime and all(development.get(name) == version for name, version in runtime.items())
    assert "pytest" not in runtime and "fastapi" in runtime
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements-runtime.lock" in dockerfile
    assert re.search(r"^USER platform$", dockerfile, flags=re.MULTILINE)
