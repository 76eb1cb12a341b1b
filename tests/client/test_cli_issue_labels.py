"""`issue list` and `issue show` print an issue's labels; `issue show` renders Markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from praisonai_platform.client import PlatformClient
from tests.client.test_cli import Cli
from tests.live.conftest import LiveServer

pytestmark = pytest.mark.sqlite_only

DESCRIPTION = "## Steps\n\n1. Run **make** [red]now[/red]\n2. Read `docs/cli.md`\n"


@pytest.fixture
def cli(server: LiveServer, tmp_path: Path) -> Cli:
    return Cli(server, tmp_path / "config")


def test_labels_and_markdown(cli: Cli) -> None:
    cli.register()
    created = cli.ok("workspace", "create", "Labels", "--prefix", "LBL", "--json").json()
    token = json.loads(cli.session_file.read_text())["token"]
    with PlatformClient(cli.server.base_url, token=token) as sdk:
        sdk.labels.create(created["id"], "bug")
        sdk.labels.create(created["id"], "area/api")
    made = cli.ok(
        "issue",
        "create",
        "Broken build",
        "-d",
        DESCRIPTION,
        "-l",
        "bug",
        "-l",
        "area/api",
        "--json",
    ).json()
    assert [label["name"] for label in made["labels"]] == ["area/api", "bug"]
    cli.ok("issue", "create", "Unlabelled")
    cli.ok("issue", "comment", "LBL-1", "Fixed in *main*, see [the log](http://example.com)")

    table = cli.ok("issue", "list").out.splitlines()
    assert table[0].split()[-1] == "LABELS"
    assert table[1].split()[-2:] == ["area/api,", "bug"]
    assert table[2].split()[-1] == "-"

    shown = cli.ok("issue", "show", "LBL-1").out
    assert shown.startswith("LBL-1  Broken build\n")
    assert "labels    area/api, bug" in shown
    # Markdown is rendered: no heading marks, no asterisks, no backticks; rich markup typed by
    # people is printed as typed, not interpreted.
    assert "Steps" in shown and "## Steps" not in shown
    assert "Run make [red]now[/red]" in shown and "**make**" not in shown
    assert "Read docs/cli.md" in shown
    assert "Fixed in main, see the log" in shown and "*main*" not in shown
