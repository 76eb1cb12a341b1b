"""The documentation's code runs: every fenced `python` block of docs/*.md and README.md.

An HTML comment on the line before a block says how it runs (docs/contributing.md lists them):

- no marker: as is, in this process;
- `<!-- snippet: server -->`: against a live server on SQLite; `http://localhost:8000` and
  `http://127.0.0.1:8000` become its address and `…@example.com` addresses are made unique;
- `<!-- snippet: database -->`: in a fresh process whose DATABASE_URL names an empty, migrated
  database, once per backend;
- `<!-- snippet: skip (why) -->`: not at all.

The blocks of a page run in order (later ones see what earlier ones left on the server or in the
database), each with fresh Python names, as a reader copying them would. Tracebacks name the page
and its line numbers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
KINDS = ("plain", "server", "database", "shell", "skip")
MARKER = re.compile(r"^\s*<!--\s*snippet:\s*(?P<kind>[\w-]+)\b(?P<why>.*?)-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
EXAMPLE_URLS = ("http://localhost:8000", "http://127.0.0.1:8000")
EXAMPLE_EMAIL = re.compile(r"\b([A-Za-z0-9._+-]+)@example\.com\b")

# Runs a page's database snippets in order, in one process and on one event loop (so the
# process-wide engine stays usable from one `asyncio.run(...)` to the next).
DATABASE_HARNESS = """
import asyncio, json, sys
runner = asyncio.Runner()
asyncio.run = lambda main, *, debug=None: runner.run(main)
for snippet in json.load(sys.stdin):
    exec(compile(snippet["source"], snippet["page"], "exec"), {"__name__": "__main__"})
"""


@dataclass(frozen=True)
class Snippet:
    page: Path
    line: int  # of the block's first line of code
    language: str
    kind: str
    code: str

    @property
    def page_name(self) -> str:
        return str(self.page.relative_to(ROOT))

    @property
    def source(self) -> str:
        """The code, shifted down so that tracebacks give the page's own line numbers."""
        return "\n" * (self.line - 1) + self.code


def read_snippets(page: Path) -> list[Snippet]:
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Snippet] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        language = (opening["info"].split() or [""])[0].strip("{}.").lower()
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        code = "\n".join(line[indent:] for line in lines[index + 1 : end]) + "\n"
        found.append(Snippet(page, index + 2, language, _marker(lines, index), code))
        index = end + 1
    return found


def _marker(lines: list[str], fence_index: int) -> str:
    """The kind named by the comment on the line before the fence (blank lines allowed)."""
    before = fence_index - 1
    while before >= 0 and not lines[before].strip():
        before -= 1
    marked = MARKER.match(lines[before]) if before >= 0 else None
    return marked["kind"] if marked else "plain"


SNIPPETS = [s for page in PAGES for s in read_snippets(page) if s.language in ("python", "py")]
SHELL_SNIPPETS = [
    s
    for page in PAGES
    for s in read_snippets(page)
    if s.kind == "shell" and s.language in ("console", "bash", "sh")
]


def shell_script(snippet: Snippet) -> tuple[str, list[str]]:
    """A console block as a bash script (`$ ` lines and their `\\` continuations) and the
    output lines it shows."""
    commands: list[str] = []
    expected: list[str] = []
    continuing = False
    for line in snippet.code.splitlines():
        if continuing or line.startswith("$ "):
            commands.append(line if continuing else line[2:])
            continuing = line.endswith("\\")
        elif line.strip():
            expected.append(line.strip())
    return "set -euo pipefail\n" + "\n".join(commands) + "\n", expected


def pages_with(kind: str) -> list[Path]:
    return sorted({s.page for s in SNIPPETS if s.kind == kind})


def snippets_of(page: Path, kind: str) -> list[Snippet]:
    return [s for s in SNIPPETS if s.page == page and s.kind == kind]


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_the_pages_have_snippets() -> None:
    assert len(PAGES) > 10 and SNIPPETS
    assert {s.kind for s in SNIPPETS} >= {"server", "database"}


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_marker_is_known_and_precedes_a_block(page: Path) -> None:
    lines = page.read_text(encoding="utf-8").splitlines()
    fences = {s.line - 2 for s in read_snippets(page)}
    for number, line in enumerate(lines):
        if "snippet:" not in line or not line.lstrip().startswith("<!--"):
            continue
        marked = MARKER.match(line)
        assert marked and marked["kind"] in KINDS, f"{page_id(page)}:{number + 1}: {line.strip()}"
        following = next((i for i in range(number + 1, len(lines)) if lines[i].strip()), None)
        assert following in fences, f"{page_id(page)}:{number + 1}: no code block follows"
        if marked["kind"] == "skip":
            assert marked["why"].strip(), f"{page_id(page)}:{number + 1}: say why it is skipped"


@pytest.mark.parametrize("page", pages_with("plain"), ids=page_id)
def test_plain_snippets_run(page: Path) -> None:
    for snippet in snippets_of(page, "plain"):
        exec(compile(snippet.source, snippet.page_name, "exec"), {"__name__": "__main__"})


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "page", sorted({*pages_with("server"), *(s.page for s in SHELL_SNIPPETS)}), ids=page_id
)
def test_server_snippets_run(page: Path, server: LiveServer, tmp_path: Path) -> None:
    """The page's Python, then its shell blocks, as a reader would run them one after another."""
    suffix = uuid.uuid4().hex[:10]

    def for_this_server(text: str) -> str:
        text = EXAMPLE_EMAIL.sub(lambda m: f"{m[1]}-{suffix}@example.com", text)
        for url in EXAMPLE_URLS:
            text = text.replace(url, server.base_url)
        return text.replace("localhost:8000", server.base_url.removeprefix("http://"))

    for snippet in snippets_of(page, "server"):
        exec(compile(for_this_server(snippet.source), snippet.page_name, "exec"), {})
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PLATFORM_URL": server.base_url,
        "PLATFORM_CONFIG_DIR": str(tmp_path / "config"),
        "COLUMNS": "200",
    }
    for snippet in (s for s in SHELL_SNIPPETS if s.page == page):
        script, expected = shell_script(snippet)
        completed = subprocess.run(
            ["bash", "-c", for_this_server(script)],
            env=environment,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        where = f"{snippet.page_name}:{snippet.line}"
        assert completed.returncode == 0, (where, completed.stdout, completed.stderr)
        for line in expected:
            assert for_this_server(line) in completed.stdout, (where, line, completed.stdout)


@pytest.mark.parametrize("page", pages_with("database"), ids=page_id)
def test_database_snippets_run(page: Path, db_url: str) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))},
        "DATABASE_URL": db_url,
    }
    payload = [{"page": s.page_name, "source": s.source} for s in snippets_of(page, "database")]
    completed = subprocess.run(
        [sys.executable, "-c", DATABASE_HARNESS],
        input=json.dumps(payload),
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
