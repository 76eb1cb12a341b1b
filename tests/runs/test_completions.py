"""The worker's completion writer, without a database: completions that come in together are
written in one transaction, and one that cannot be written fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from praisonai_platform.runs.reports.service import Completion
from praisonai_platform.worker import completions
from praisonai_platform.worker.completions import CompletionWriter


async def test_completions_are_written_together_and_a_bad_one_fails_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transactions: list[list[str]] = []

    async def complete_many(
        _session: Any, _actor: Any, _worker_id: str, batch: Any, **_options: Any
    ) -> list[Any]:
        ids = [done.run_id for done in batch]
        if "broken" in ids:
            raise RuntimeError("cannot write that one")
        return [type("Done", (), {"id": run_id})() for run_id in ids if run_id != "lost"]

    async def transaction(work: Callable[[Any], Awaitable[set[str]]]) -> set[str]:
        result = await work(None)
        transactions.append([])  # committed
        return result

    monkeypatch.setattr(completions.run_reports, "complete_many", complete_many)
    writer = CompletionWriter("w0", transaction)
    names = ["a", "lost", "broken", "b"]
    outcomes = await asyncio.gather(
        *(writer.complete(Completion(name, {})) for name in names), return_exceptions=True
    )
    assert outcomes[0] is True and outcomes[1] is False and outcomes[3] is True
    assert isinstance(outcomes[2], RuntimeError)
    # One try with all four (failed), then each alone: three written.
    assert len(transactions) == 3
    assert await writer.complete(Completion("c", {})) is True
