"""Where the CLI keeps its token, and how safely."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from praisonai_platform.cli import session_store
from praisonai_platform.cli.session_store import StoredSession


@pytest.fixture(autouse=True)
def no_config_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("PLATFORM_CONFIG_DIR", "XDG_CONFIG_HOME", "APPDATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_the_config_directory_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert session_store.config_dir() == tmp_path / "home" / ".config" / "praisonai-platform"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert session_store.config_dir() == tmp_path / "xdg" / "praisonai-platform"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    assert session_store.config_dir() == tmp_path / "home" / ".config" / "praisonai-platform"
    monkeypatch.setenv("PLATFORM_CONFIG_DIR", str(tmp_path / "explicit"))
    assert session_store.session_path() == tmp_path / "explicit" / "session.json"


def test_sessions_are_saved_privately_loaded_and_cleared(tmp_path: Path) -> None:
    assert session_store.load() is None
    assert session_store.clear() is False
    session = StoredSession(url="http://127.0.0.1:8000", token="secret", email="me@example.com")
    path = session_store.save(session)
    assert path == tmp_path / "home" / ".config" / "praisonai-platform" / "session.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert session_store.load() == session
    assert [p.name for p in path.parent.iterdir()] == ["session.json"]  # no temporary left

    replaced = StoredSession(url="http://other:9000", token="newer")
    session_store.save(replaced)
    assert session_store.load() == replaced
    assert session_store.clear() is True
    assert session_store.load() is None


def test_an_unreadable_session_file_counts_as_signed_out(tmp_path: Path) -> None:
    path = session_store.session_path()
    path.parent.mkdir(parents=True)
    for content in ("not json", "[]", '{"url": "x"}'):
        path.write_text(content)
        assert session_store.load() is None
