"""`CreditHistory` is the platform's append-only credit ledger (table `credit_ledger`).

Rows are never updated or deleted (the database refuses it), and a balance moves only together
with its ledger row: `CreditHistory.adjust` does both through the ledger's one atomic path.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from database_api._guard import UnsafeOperation
from praisonai_platform.billing import service as ledger
from praisonai_platform.db import create_database_engine, create_session_factory, session_scope
from praisonai_platform.db.compat import db
from praisonai_platform.db.models import CreditLedgerEntry

__all__ = ["CreditHistory", "UnsafeOperation"]


class CreditHistory(CreditLedgerEntry):
    @classmethod
    def adjust(
        cls,
        user_id: str,
        delta: int,
        reason: str,
        *,
        source: str = "planexe",
        external_id: str | None = None,
        allow_negative: bool = False,
        details: dict[str, Any] | None = None,
    ) -> CreditHistory:
        """Move `user_id`'s balance by `delta` micro-credits and record it, in one transaction
        of its own (committed on return). A debit below zero raises InsufficientCredits unless
        `allow_negative`; an `external_id` seen before returns that entry and changes nothing."""

        async def post() -> str:
            engine = create_database_engine(db.settings)
            try:
                async with session_scope(create_session_factory(engine)) as session:
                    result = await ledger.post_entry(
                        session,
                        user_id=user_id,
                        delta=delta,
                        reason=reason,
                        source=source,
                        external_id=external_id,
                        details=details,
                        allow_negative=allow_negative,
                    )
                    return result.entry.id
            finally:
                await engine.dispose()

        entry_id = _run_coroutine(post)
        entry = db.session.get(cls, entry_id)
        assert entry is not None
        return entry


def _run_coroutine(make: Any) -> Any:
    """Run an async call to completion from sync code, inside or outside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
