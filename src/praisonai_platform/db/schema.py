"""Creating, stamping and migrating the schema. Alembic owns it; `create_all` is a shortcut."""

from __future__ import annotations

from importlib.resources import files
from typing import TextIO

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from praisonai_platform.config import Settings
from praisonai_platform.db import models  # noqa: F401  (registers every table)
from praisonai_platform.db.base import Base

VERSION_TABLE = "alembic_version"


def alembic_config(settings: Settings | None = None, *, stdout: TextIO | None = None) -> Config:
    """An Alembic configuration for the migrations shipped inside this package."""
    config = Config(stdout=stdout) if stdout is not None else Config()
    config.set_main_option("script_location", str(files("praisonai_platform.db") / "migrations"))
    if settings is not None:
        config.attributes["settings"] = settings
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def create_schema_and_stamp(connection: Connection) -> None:
    """Create every table the models define and record the migration head as applied."""
    Base.metadata.create_all(connection)
    MigrationContext.configure(connection).stamp(
        ScriptDirectory.from_config(alembic_config()), "head"
    )
