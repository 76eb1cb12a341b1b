"""Migration 0006 on both databases: runs charged before budgets existed get what their steps
cost, from the ledger, as what they spent; going down drops the columns and keeps the rows."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from praisonai_platform.config import derive_alembic_database_url, load_settings
from praisonai_platform.db import migrate

ROWS = """
insert into users (name, email, id) values ('ada', 'ada@example.com', 'u1');
insert into workspaces (name, slug, settings, id) values ('W', 'w', '{}', 'w1');
insert into agents (workspace_id, name, config, runtime_config, id)
    values ('w1', 'Coder', '{}', '{}', 'a1');
insert into runs (workspace_id, agent_id, parameters, id) values ('w1', 'a1', '{}', 'r1');
insert into runs (workspace_id, agent_id, parameters, id) values ('w1', 'a1', '{}', 'r2');
insert into credit_ledger (user_id, delta, balance_after, reason, source, details, id, run_id,
    external_id) values ('u1', -300, 0, 'run usage', 'run', '{}', 'l1', 'r1', 'r1:1');
insert into credit_ledger (user_id, delta, balance_after, reason, source, details, id, run_id,
    external_id) values ('u1', -200, 0, 'run usage', 'run', '{}', 'l2', 'r1', 'r1:2');
insert into credit_ledger (user_id, delta, balance_after, reason, source, details, id, run_id)
    values ('u1', 50, 0, 'refund', 'admin', '{}', 'l3', 'r1')
"""


def test_runs_charged_before_budgets_count_what_they_spent(backend: str, empty_db_url: str) -> None:
    settings = load_settings(database_url=empty_db_url)
    migrate.upgrade(settings, "0005")
    engine = create_engine(derive_alembic_database_url(empty_db_url))
    try:
        with engine.begin() as connection:
            for statement in ROWS.split(";"):
                connection.execute(text(statement))
        migrate.upgrade(settings, "0006")
        with engine.connect() as connection:
            rows = connection.execute(text("select id, budget, spent from runs order by id"))
            assert [tuple(row) for row in rows] == [("r1", None, 500), ("r2", None, 0)]
        migrate.downgrade(settings, "0005")
        with engine.connect() as connection:
            columns = {c["name"] for c in inspect(connection).get_columns("runs")}
            assert not {"budget", "spent"} & columns
            assert connection.scalar(text("select count(*) from runs")) == 2
    finally:
        engine.dispose()
