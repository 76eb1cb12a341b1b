"""Search through the SDK (sync and async) and the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from praisonai_platform.client import PlatformClient, ValidationError
from praisonai_platform.client.models import SearchResult
from tests.client.test_cli import Cli
from tests.live.conftest import LiveServer


def test_search_through_the_sdk(api: Any, workspace: Any) -> None:
    issue = api.issues.create(workspace.id, "Webhook retries", description="gives up")
    api.comments.create(workspace.id, issue.id, "the webhook <b>log</b>")
    results = api.search(workspace.id, "webh")
    assert all(isinstance(result, SearchResult) for result in results)
    assert [(r.type.value, r.matched_in.value) for r in results] == [
        ("issue", "title"),
        ("comment", "comment"),
    ]
    assert results[1].snippet == "the <mark>webhook</mark> &lt;b&gt;log&lt;/b&gt;"
    assert [r.id for r in api.search(workspace.id, issue.identifier, limit=1)] == [issue.id]
    with pytest.raises(ValidationError) as empty:
        api.search(workspace.id, "***")
    assert empty.value.code == "search_query_empty"


@pytest.mark.sqlite_only
def test_search_command(server: LiveServer, tmp_path: Path) -> None:
    cli = Cli(server, tmp_path / "config")
    cli.register()
    created = cli.ok("workspace", "create", "Searching", "--prefix", "SRC", "--json").json()
    token = json.loads(cli.session_file.read_text())["token"]
    with PlatformClient(cli.server.base_url, token=token) as sdk:
        sdk.issues.create(created["id"], "Webhook retries", description="a <b>bold</b> move")
    table = cli.ok("search", "webh").out.splitlines()
    assert table[0].split() == ["TYPE", "KEY", "TITLE", "MATCH"]
    assert table[1].split() == ["issue", "SRC-1", "Webhook", "retries", "a", "<b>bold</b>", "move"]
    assert [r["issue_key"] for r in cli.ok("search", "SRC-1", "--json").json()] == ["SRC-1"]
    assert "Nothing in" in cli.ok("search", "nowhere").out
