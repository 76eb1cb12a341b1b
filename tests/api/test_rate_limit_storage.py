"""The in-process counters sweep out expired entries at most once a second, and count exactly."""

from __future__ import annotations

import pytest

from praisonai_platform.api.rate_limits import middleware
from praisonai_platform.api.rate_limits.middleware import RateLimits
from praisonai_platform.api.rate_limits.settings import RateLimitSettings


async def test_many_requests_start_one_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = RateLimits(RateLimitSettings(rate_limit_reads="1000/minute"))
    sweeps = 0
    storage = limits.storage
    original = storage._MemoryStorage__expire_events

    async def counted() -> None:
        nonlocal sweeps
        sweeps += 1
        await original()

    monkeypatch.setattr(storage, "_MemoryStorage__expire_events", counted)
    for _ in range(50):
        assert (await limits.hit(limits.reads, "reads", "someone")).allowed
        assert storage.timer is not None
        await storage.timer  # done before the next request (the library would start another)
    assert sweeps == 1
    # A second later the next request starts the next sweep.
    monkeypatch.setattr(middleware.time, "monotonic", lambda: storage._next_sweep + 0.001)
    assert (await limits.hit(limits.reads, "reads", "someone")).allowed
    await storage.timer
    assert sweeps == 2


async def test_budgets_stay_exact_between_sweeps() -> None:
    limits = RateLimits(RateLimitSettings(rate_limit_writes="5/minute"))
    verdicts = [await limits.hit(limits.writes, "writes", "someone") for _ in range(7)]
    assert [verdict.allowed for verdict in verdicts] == [True] * 5 + [False] * 2
    assert verdicts[4].budget is not None and verdicts[4].budget.remaining == 0
    # Another key has its own budget.
    assert (await limits.hit(limits.writes, "writes", "someone else")).allowed
