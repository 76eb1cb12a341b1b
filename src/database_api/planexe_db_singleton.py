"""The shared `db` object: `db.Model`, `db.session`, `Model.query`, `db.init_app(app)`."""

from database_api import _guard  # noqa: F401 - refuses unsafe ledger and payment writes
from praisonai_platform.db.compat import Database, db

__all__ = ["Database", "db"]
