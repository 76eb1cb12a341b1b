"""`praisonai-platform credits verify`: exit 0 when every balance equals its ledger, else 1 with
the list of those that do not."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text

from praisonai_platform.billing import service as credits
from praisonai_platform.config import derive_alembic_database_url
from praisonai_platform.db import get_engine, reset_engine, session_scope
from praisonai_platform.db.models import User
from tests.forkserver import run_cli


def verify(database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "PLATFORM_"))}
    environment["DATABASE_URL"] = database_url
    return run_cli("credits", "verify", cwd=cwd, env=environment)


async def test_verify_passes_on_a_balanced_ledger_and_lists_drift(
    db_url: str, tmp_path: Path
) -> None:
    get_engine(db_url)
    async with session_scope() as session:
        ada = User(name="ada", email="ada@example.com")
        bob = User(name="bob", email="bob@example.com")
        session.add_all([ada, bob])
        await session.flush()
        for user, delta in ((ada, 7), (ada, -2), (bob, 3)):
            await credits.post_entry(
                session, user_id=user.id, delta=delta, reason="test", source="test"
            )
    await reset_engine()

    clean = verify(db_url, tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "all 2 balances equal their ledger" in clean.stdout

    engine = create_engine(derive_alembic_database_url(db_url))
    with engine.begin() as connection:  # drift made behind the ledger's back
        connection.execute(
            text("UPDATE users SET credit_balance = credit_balance + 1 WHERE id = :id"),
            {"id": bob.id},
        )
    engine.dispose()
    drifted = verify(db_url, tmp_path)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert drifted.stdout.splitlines() == [
        f"{bob.id} bob@example.com: balance 4, ledger sum 3 (off by 1)"
    ]
    assert "1 of 2 balances differ" in drifted.stderr
    assert "Traceback" not in drifted.stderr
