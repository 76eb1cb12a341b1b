"""`serve` as `make run` starts it: no PLATFORM_JWT_SECRET, a SQLite file, real processes.

The signing secret is kept beside the database, so sign-ins survive restarts and every process of
the deployment agrees on it; once the server answers, `serve` says where to go next.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from praisonai_platform.cli import serve_command
from praisonai_platform.config import sqlite_file_path
from praisonai_platform.core.server_settings import persistent_secret, secret_file_for
from tests.client.conftest import PASSWORD, unique_email
from tests.live.conftest import LiveServer, start_server, stop_server

pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parents[2]
# As `make run` starts it: PLATFORM_JWT_SECRET unset (empty is unset).
UNCONFIGURED = {"PLATFORM_JWT_SECRET": "", "PLATFORM_LOG_LEVEL": "info"}
MAKE_RUN_DATABASE = "sqlite+aiosqlite:///./data/platform.db"


def secret_file(database_url: str) -> Path:
    database_file = sqlite_file_path(database_url)
    assert database_file is not None
    return secret_file_for(database_file)


def register(server: LiveServer) -> str:
    """Register a new account and sign in (registration answers 202 by default)."""
    account = {"email": unique_email("serve"), "password": PASSWORD}
    registered = httpx.post(f"{server.base_url}/api/v1/auth/register", json=account, timeout=30)
    assert registered.status_code == 202, registered.text
    response = httpx.post(f"{server.base_url}/api/v1/auth/login", json=account, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def me_status(server: LiveServer, token: str) -> int:
    # A new connection per request, so that with several workers each may answer.
    with httpx.Client(timeout=30) as client:
        response = client.get(
            f"{server.base_url}/api/v1/auth/me", headers={"authorization": f"Bearer {token}"}
        )
    return response.status_code


def serve_fails(database_url: str, tmp_path: Path, **environment: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "praisonai_platform", "serve", "--port", "1"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))},
            "DATABASE_URL": database_url,
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert completed.returncode == 2, completed
    assert "Traceback" not in completed.stderr
    return completed.stderr


def test_a_sign_in_survives_a_restart_with_the_secret_kept_beside_the_database(
    db_url: str, tmp_path: Path
) -> None:
    log_path = tmp_path / "server.log"
    server = start_server(db_url, log_path, environment=UNCONFIGURED)
    try:
        token = register(server)
        assert me_status(server, token) == 200
    finally:
        stop_server(server)
    kept = secret_file(db_url)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert len(kept.read_text().strip()) >= 32
    first_secret = kept.read_text()

    server = start_server(db_url, log_path, environment=UNCONFIGURED)
    try:
        assert me_status(server, token) == 200, "the restart signed everyone out"
    finally:
        stop_server(server)
    assert kept.read_text() == first_secret
    assert "PLATFORM_JWT_SECRET is not set" not in server.log()


def test_every_worker_signs_with_the_same_secret_and_the_banner_is_printed_once(
    db_url: str, tmp_path: Path
) -> None:
    server = start_server(db_url, tmp_path / "server.log", workers=2, environment=UNCONFIGURED)
    try:
        token = register(server)
        statuses = {me_status(server, token) for _ in range(30)}
        banner_printed = wait_for(lambda: "is ready at" in server.log())
    finally:
        stop_server(server)
    assert statuses == {200}
    assert banner_printed
    log = server.log()
    assert log.count(f"praisonai-platform is ready at {server.base_url}") == 1
    assert f"API docs:  {server.base_url}/docs\n" in log
    assert f"Admin UI:  {server.base_url}/admin\n" in log
    assert f"Web app:   {server.base_url}/\n" in log


def test_servers_started_together_agree_on_one_secret(db_url: str, tmp_path: Path) -> None:
    servers: list[LiveServer] = []

    def start(name: str) -> None:
        servers.append(start_server(db_url, tmp_path / f"{name}.log", environment=UNCONFIGURED))

    threads = [threading.Thread(target=start, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert len(servers) == 2
        token = register(servers[0])
        assert me_status(servers[1], token) == 200
    finally:
        for server in servers:
            stop_server(server)
    assert [p.name for p in secret_file(db_url).parent.iterdir() if "secret" in p.name] == [
        secret_file(db_url).name
    ], "a draft was left behind"


def test_processes_racing_to_make_the_secret_all_read_the_one_that_won(tmp_path: Path) -> None:
    path = tmp_path / "data" / "platform.db.secret"
    program = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from praisonai_platform.core.server_settings import persistent_secret\n"
        "start = float(sys.argv[2])\n"
        "time.sleep(max(0.0, start - time.time()))\n"
        "print(persistent_secret(Path(sys.argv[1])))\n"
    )
    start = time.time() + 2
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", program, str(path), str(start)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    secrets = {racer.communicate(timeout=60)[0].strip() for racer in racers}
    assert len(secrets) == 1
    assert secrets == {path.read_text().strip()}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    assert persistent_secret(path) == path.read_text().strip()


def test_a_secret_file_others_may_read_or_too_short_is_refused(db_url: str, tmp_path: Path) -> None:
    kept = secret_file(db_url)
    kept.write_text("x" * 64 + "\n")
    kept.chmod(0o644)
    message = serve_fails(db_url, tmp_path)
    assert message.startswith(
        f"configuration error: {kept} holds the signing secret but others may read it (mode "
        f"0644); run `chmod 600 {kept}`"
    )
    assert message.count("\n") == 1

    kept.write_text("short\n")
    kept.chmod(0o600)
    message = serve_fails(db_url, tmp_path)
    assert message.startswith(f"configuration error: {kept} holds a signing secret shorter than")


def test_production_still_needs_an_explicit_secret(db_url: str, tmp_path: Path) -> None:
    message = serve_fails(db_url, tmp_path, PLATFORM_ENV="production")
    assert "PLATFORM_JWT_SECRET is not set; PLATFORM_ENV=production needs a secret" in (
        " ".join(message.split())
    )
    assert not secret_file(db_url).exists()


def test_the_printed_admin_command_makes_an_admin(db_url: str, tmp_path: Path) -> None:
    server = start_server(db_url, tmp_path / "server.log", environment=UNCONFIGURED)
    try:
        assert wait_for(lambda: "user create" in server.log())
    finally:
        stop_server(server)
    lines = server.log().splitlines()
    command = lines[lines.index("Create an administrator (from this directory, in another "
                                "terminal):") + 1].strip()  # fmt: skip
    assert command.startswith(f"DATABASE_URL={shlex.quote(db_url)} ")
    created = run_shell(command, cwd=tmp_path)
    assert created.startswith("created admin ")


def test_the_documented_admin_command_is_the_printed_one_and_runs_as_written(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", [".venv/bin/praisonai-platform", "serve"])
    monkeypatch.setattr(shutil, "which", lambda name: None)
    printed = serve_command.admin_command(MAKE_RUN_DATABASE)
    assert printed == (
        "DATABASE_URL=sqlite+aiosqlite:///./data/platform.db .venv/bin/praisonai-platform user "
        "create --email admin@example.com --admin"
    )
    for page in ("admin.md", "getting-started.md"):
        assert printed in (ROOT / "docs" / page).read_text(), f"docs/{page} shows another command"

    program = ROOT / ".venv" / "bin" / "praisonai-platform"
    if not program.exists():
        pytest.skip("no .venv in the repository (make run makes it)")
    # `make run`'s directory: the repository's .venv, and a migrated ./data/platform.db.
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "data").mkdir()
    shutil.copyfile(sqlite_template, tmp_path / "data" / "platform.db")
    created = run_shell(printed, cwd=tmp_path)
    assert created.startswith("created admin admin <admin@example.com>")


def run_shell(command: str, *, cwd: Path) -> str:
    completed = subprocess.run(
        command,
        shell=True,
        cwd=cwd,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))},
            "PLATFORM_USER_PASSWORD": PASSWORD,  # what the prompt would ask for
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed
    return completed.stdout


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
