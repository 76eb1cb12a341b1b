"""docs/configuration.md is generated from the settings classes and must match them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from praisonai_platform.core import settings_reference

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"
SOURCES = ROOT / "src" / "praisonai_platform"
# Names of environment variables, as the code spells them in messages, docstrings and reads.
VARIABLE = re.compile(
    r"\b(?:PLATFORM_[A-Z0-9_]*[A-Z0-9]|APP_(?:DATABASE|ALEMBIC)_[A-Z0-9_]*[A-Z0-9])\b"
)


def test_the_committed_reference_matches_the_settings_classes() -> None:
    assert PAGE.read_text(encoding="utf-8") == settings_reference.render(), (
        "docs/configuration.md is out of date with the settings classes; regenerate it with "
        f"`{settings_reference.REGENERATE}`"
    )


def test_the_module_prints_the_reference() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "praisonai_platform.core.settings_reference"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PLATFORM_JWT_SECRET": "not-to-be-shown-0123456789abcdef0123"},
    )
    assert result.stdout == settings_reference.render()
    assert "not-to-be-shown" not in result.stdout


def test_every_variable_the_code_names_is_in_the_reference() -> None:
    reference = settings_reference.render()
    named: set[str] = set()
    for path in SOURCES.rglob("*.py"):
        named.update(VARIABLE.findall(path.read_text(encoding="utf-8")))
    missing = sorted(name for name in named if f"`{name}`" not in reference)
    assert missing == [], "add a settings field (with a description) for each"


def test_every_field_is_documented_and_no_secret_shows_a_default() -> None:
    reference = settings_reference.render()
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in reference.splitlines()
        if line.startswith("| `")
    }
    for settings_class in settings_reference.settings_classes():
        for variable, name, field in settings_reference.variables(settings_class):
            assert field.description, f"{settings_class.__name__}.{name} has no description"
            assert variable in rows, variable
            if any(marker in name for marker in settings_reference.SECRET_MARKERS):
                assert "| (none) |" in rows[variable], variable


def test_the_database_settings_keep_their_names() -> None:
    from praisonai_platform.config import Settings

    names = {variable for variable, _, _ in settings_reference.variables(Settings)}
    assert {"DATABASE_URL", "RUN_DB_MIGRATIONS", "APP_DATABASE_URL"} <= names
    others = names - {"DATABASE_URL", "RUN_DB_MIGRATIONS"}
    assert all(name.startswith(("APP_DATABASE_", "APP_ALEMBIC_")) for name in others)
    for settings_class in settings_reference.settings_classes():
        if settings_class is not Settings:
            for variable, _, _ in settings_reference.variables(settings_class):
                assert variable.startswith("PLATFORM_"), variable
