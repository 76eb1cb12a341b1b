"""The command line as people use it: real processes against a real server.

The CLI only talks HTTP, so these run against the SQLite server; the SDK tests cover both
backends.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from praisonai_platform.client import PlatformClient
from tests.client.conftest import PASSWORD, unique_email
from tests.forkserver import run_cli
from tests.live.conftest import LiveServer, free_port

pytestmark = pytest.mark.sqlite_only


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs `python -m praisonai_platform …` (see tests/forkserver.py) with its own config."""

    def __init__(self, server: LiveServer, config_dir: Path) -> None:
        self.server = server
        self.config_dir = config_dir
        self.environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PLATFORM_")},
            "PLATFORM_CONFIG_DIR": str(config_dir),
            "PLATFORM_URL": server.base_url,
            "COLUMNS": "200",
        }

    def __call__(
        self, *args: str, stdin: str | None = None, fresh: bool = False, **environment: str
    ) -> Result:
        """A process of its own, forked from one that imported the command line already;
        `fresh` starts a new interpreter, as the console script does."""
        if fresh:
            completed = subprocess.run(
                [sys.executable, "-m", "praisonai_platform", *args],
                input=stdin,
                env={**self.environment, **environment},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        else:
            completed = run_cli(*args, input=stdin, env={**self.environment, **environment})
        assert "Traceback" not in completed.stderr, completed.stderr
        return Result(completed.returncode, completed.stdout, completed.stderr)

    def ok(self, *args: str, stdin: str | None = None, **environment: str) -> Result:
        result = self(*args, stdin=stdin, **environment)
        assert result.code == 0, result
        return result

    def register(self) -> str:
        email = unique_email("cli")
        result = self.ok("register", "--email", email, "--password-stdin", stdin=PASSWORD + "\n")
        assert result.out.startswith(f"Signed in as {email} at {self.server.base_url}")
        return email

    @property
    def session_file(self) -> Path:
        return self.config_dir / "session.json"


@pytest.fixture
def cli(server: LiveServer, tmp_path: Path) -> Cli:
    return Cli(server, tmp_path / "config")


def assert_one_line_error(result: Result, message: str) -> None:
    assert result.code == 1
    assert result.out == ""
    assert result.err == f"error: {message}\n"


def test_a_working_session(cli: Cli) -> None:
    email = cli.register()
    name = email.split("@")[0]
    assert stat.S_IMODE(cli.session_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.config_dir.stat().st_mode) == 0o700
    assert json.loads(cli.session_file.read_text())["url"] == cli.server.base_url
    assert cli.ok("whoami", "--json").json()["email"] == email

    created = cli.ok("workspace", "create", "Engineering", "--prefix", "ENG", "--json").json()
    slug = created["slug"]
    listed = cli.ok("workspace", "list").out.splitlines()
    assert listed[0].split() == ["PREFIX", "SLUG", "NAME", "ID"]
    assert listed[1].split() == ["ENG", slug, "Engineering", created["id"]]

    first = cli.ok("issue", "create", "Set up CI", "-p", "high", "-a", "me", "--json").json()
    assert (first["identifier"], first["priority"]) == ("ENG-1", "high")
    assert cli.ok("issue", "create", "Write the docs", "-d", "README first").out == (
        "Created ENG-2: Write the docs\n"
    )
    token = json.loads(cli.session_file.read_text())["token"]
    with PlatformClient(cli.server.base_url, token=token) as sdk:
        sdk.labels.create(created["id"], "docs")
    cli.ok("issue", "create", "Docs site", "--label", "docs", "--status", "todo")

    table = cli.ok("issue", "list").out.splitlines()
    assert table[0].split() == ["KEY", "STATUS", "PRIORITY", "TITLE", "ASSIGNEE", "LABELS"]
    assert table[1].split() == ["ENG-1", "backlog", "high", "Set", "up", "CI", name, "-"]
    assert table[3].split()[-1] == "docs"
    assert [row.split()[0] for row in table[1:]] == ["ENG-1", "ENG-2", "ENG-3"]

    def keys(*filters: str) -> list[str]:
        return [i["identifier"] for i in cli.ok("issue", "list", *filters, "--json").json()]

    assert keys("--status", "backlog", "--search", "docs") == ["ENG-2"]
    assert keys("--assignee", "me") == ["ENG-1"]
    assert keys("--label", "docs", "--status", "todo", "--status", "done") == ["ENG-3"]

    assert cli.ok("issue", "comment", "ENG-1", "On it").out == "Commented on ENG-1\n"
    updated = cli.ok("issue", "update", "ENG-1", "--status", "in-progress", "--assignee", "none")
    assert updated.out == f"Updated ENG-1: status backlog → in-progress, assignee {name} → -\n"
    shown = cli.ok("issue", "show", "ENG-1", "--json").json()
    assert (shown["status"], shown["assignee_id"]) == ("in-progress", None)
    assert [c["content"] for c in shown["comments"]] == ["On it"]
    human = cli.ok("issue", "show", "ENG-3").out
    assert human.startswith("ENG-3  Docs site\n")
    assert "labels    docs" in human
    assert cli.ok("issue", "close", "ENG-2", "-m", "Done already").out == "Closed ENG-2 (done)\n"

    agent = cli.ok("agent", "create", "Reviewer", "--instructions", "review").out
    assert agent.startswith(f"Created agent Reviewer in {slug} (id ")
    assert [a["name"] for a in cli.ok("agent", "list", "--json").json()] == ["Reviewer"]
    assert cli.ok("project", "create", "Website").out == f"Created project Website in {slug}\n"
    assert "Website" in cli.ok("project", "list").out
    assert f"{name}  {email}  owner" in cli.ok("workspace", "show", "ENG").out

    assert cli.ok("logout").out.startswith("Signed out")
    assert not cli.session_file.exists()
    assert_one_line_error(
        cli("whoami"), f"not signed in at {cli.server.base_url}: run `praisonai-platform login`"
    )


def test_login_with_a_wrong_password_fails_in_one_line(cli: Cli) -> None:
    email = cli.register()
    session = cli.session_file.read_text()
    wrong = cli("login", "--email", email, "--password-stdin", stdin="not my password\n")
    assert_one_line_error(wrong, "wrong email or password")
    assert cli.session_file.read_text() == session

    # A token issued within the same second as the last one is the same token, so the file is
    # removed first to see that the sign-in writes it.
    cli.session_file.unlink()
    right = cli.ok("login", "-e", email, "--password-stdin", stdin=PASSWORD + "\n")
    assert right.out.startswith(f"Signed in as {email}")
    assert cli.session_file.exists()

    # Registering a taken email signs in only with its password, and says so neutrally.
    signed_in = cli.session_file.read_text()
    taken = cli("register", "-e", email, "--password-stdin", stdin="another long password\n")
    assert_one_line_error(
        taken,
        "If this address can be used, a message is on its way to it: follow its link to verify "
        "the address, then sign in. Could not sign in with this password.",
    )
    assert cli.session_file.read_text() == signed_in


def test_issue_keys_find_their_workspace_and_errors_are_one_line(cli: Cli) -> None:
    cli.register()
    eng = cli.ok("workspace", "create", "Engineering", "--prefix", "ENG", "--json").json()
    ops = cli.ok("workspace", "create", "Operations", "--prefix", "OPS", "--json").json()
    several = cli("issue", "list")
    assert several.code == 1
    assert several.err == (
        "error: you have several workspaces: choose one with --workspace or PLATFORM_WORKSPACE "
        f"({eng['slug']}, {ops['slug']})\n"
    )

    cli.ok("issue", "create", "Rotate keys", "--workspace", "ops")
    listed = cli.ok("issue", "list", "--json", PLATFORM_WORKSPACE="Operations").json()
    assert [i["identifier"] for i in listed] == ["OPS-1"]
    assert cli.ok("issue", "show", "OPS-1", "--json").json()["title"] == "Rotate keys"

    assert_one_line_error(cli("issue", "show", "ENG-42"), "no issue ENG-42 in your workspaces")
    assert_one_line_error(
        cli("issue", "show", "nonsense"), "'nonsense' is not an issue key like ENG-42"
    )
    assert_one_line_error(
        cli("issue", "list", "-w", "nowhere"),
        f"no workspace 'nowhere' among yours ({eng['slug']}, {ops['slug']})",
    )
    assert_one_line_error(
        cli("issue", "create", "Bad", "-w", "OPS", "--status", "sideways"),
        "status: Input should be 'backlog', 'todo', 'in-progress', 'in-review', 'blocked', "
        "'done' or 'cancelled'",
    )


def test_a_server_that_is_down_is_one_line_and_a_failure(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    # A fresh interpreter, as people start it: what reaches the terminal and the exit status.
    down = cli("issue", "list", "--url", url, fresh=True, PLATFORM_TOKEN="some-token")
    assert down.code == 1
    assert down.out == ""
    assert down.err.startswith(f"error: cannot reach {url}")
    assert down.err.endswith("(is the server running? `praisonai-platform serve` starts one)\n")
    assert down.err.count("\n") == 1


def test_api_keys_from_the_command_line(cli: Cli) -> None:
    cli.register()
    created = cli.ok("api-key", "create", "--label", "deploy", "--read-only", "--json").json()
    assert created["key"].startswith("ppk_") and created["scopes"] == ["read"]
    listed = cli.ok("api-key", "list").out.splitlines()
    assert listed[0].split()[:3] == ["PREFIX", "LABEL", "SCOPES"]
    assert created["id"] in listed[1] and "active" in listed[1]
    listed_json = cli.ok("api-key", "list", "--json").json()
    assert [(k["id"], k["label"]) for k in listed_json] == [(created["id"], "deploy")]
    # A narrow terminal squeezes the other columns; ids and prefixes stay whole on their line.
    narrow = cli.ok("api-key", "list", COLUMNS="60").out.splitlines()
    assert narrow[0].split()[0] == "PREFIX"
    assert narrow[1].split()[0] == f"{created['prefix']}…"
    assert narrow[1].split()[-1] == created["id"]
    as_key = cli("whoami", "--json", PLATFORM_API_KEY=created["key"])
    assert as_key.code == 0, as_key
    assert cli.ok("api-key", "revoke", created["id"]).out == f"Revoked API key {created['id']}\n"
    assert "revoked/expired" in cli.ok("api-key", "list").out
    assert_one_line_error(cli("api-key", "revoke", "no-such-key"), "API key not found")


def test_login_and_register_without_a_terminal_say_what_to_pass(cli: Cli) -> None:
    email = cli.register()
    for command in (["login", "--email", email], ["register", "--email", unique_email("cli")]):
        asked = cli(*command, stdin="")
        assert (asked.code, asked.out) == (2, ""), asked
        assert asked.err == (
            "error: no password: pass --password-stdin and write it to standard input, or set "
            "PLATFORM_PASSWORD (standard input is not a terminal, so nothing can be asked)\n"
        )
    no_email = cli("login", "--password-stdin", stdin=PASSWORD + "\n")
    assert (no_email.code, no_email.out) == (2, "")
    assert no_email.err.startswith("error: no email: pass --email (standard input is not a ")

    from_environment = cli.ok("login", "-e", email, stdin="", PLATFORM_PASSWORD=PASSWORD)
    assert from_environment.out.startswith(f"Signed in as {email}")
    new_email = unique_email("cli")
    registered = cli.ok("register", "-e", new_email, stdin="", PLATFORM_PASSWORD=PASSWORD)
    assert registered.out.startswith(f"Signed in as {new_email}")
    # --password-stdin wins over the environment.
    wrong = cli(
        "login", "-e", email, "--password-stdin", stdin="nope\n", PLATFORM_PASSWORD=PASSWORD
    )
    assert_one_line_error(wrong, "wrong email or password")


TYPE_TAG = re.compile(r"<(str|bool|int|float|list\[|int range|float range|path|datetime|uuid)")


def test_help_shows_no_type_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer.testing
    from typer.main import get_command
    from typer.testing import CliRunner

    from praisonai_platform.cli.app import app

    def paths(command: Any, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield prefix
        for name, child in getattr(command, "commands", {}).items():
            yield from paths(child, (*prefix, name))

    # Built once: building the command tree from the app is most of what each --help costs.
    root = get_command(app)
    monkeypatch.setattr(typer.testing, "_get_command", lambda _: root)
    runner = CliRunner()
    helps = {}
    for path in paths(root, ()):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, (path, result.output)
        helps[" ".join(path)] = result.output
    assert len(helps) > 20
    tagged = {path: TYPE_TAG.findall(text) for path, text in helps.items() if TYPE_TAG.search(text)}
    assert tagged == {}
    login = helps["login"]
    assert re.search(r"--email\s+-e\s+TEXT\s+Your email address", login), login
    assert re.search(r"--password-stdin\s+Read the password", login), login
    assert re.search(r"--help\s+Show this message", login), login
    assert re.search(r"--limit\s+-n\s+INTEGER|--limit\s+INTEGER", helps["issue list"])
