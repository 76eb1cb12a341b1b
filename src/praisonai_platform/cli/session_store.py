"""The signed-in session of the command line: server URL and token, in the user's config dir.

The file is `session.json` in PLATFORM_CONFIG_DIR, else $XDG_CONFIG_HOME/praisonai-platform,
else %APPDATA%/praisonai-platform on Windows, else ~/.config/praisonai-platform. It is written
atomically and readable by its owner only (0600, in a 0700 directory).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from praisonai_platform.cli.settings import load_client_settings

APP_DIRECTORY = "praisonai-platform"
SESSION_FILE = "session.json"


@dataclass(frozen=True)
class StoredSession:
    url: str
    token: str
    email: str | None = None


def config_dir() -> Path:
    override = load_client_settings().config_dir
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / APP_DIRECTORY
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / APP_DIRECTORY
    return Path.home() / ".config" / APP_DIRECTORY


def session_path() -> Path:
    return config_dir() / SESSION_FILE


def load() -> StoredSession | None:
    """The stored session, or None when there is none or the file is unreadable."""
    try:
        data = json.loads(session_path().read_text(encoding="utf-8"))
        return StoredSession(
            url=str(data["url"]), token=str(data["token"]), email=data.get("email")
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(session: StoredSession) -> Path:
    path = session_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".session-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(asdict(session), file)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def clear() -> bool:
    """Forget the stored session; False when there was none."""
    try:
        session_path().unlink()
    except FileNotFoundError:
        return False
    return True
