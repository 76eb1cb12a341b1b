"""The worker process: claims runs from the shared database and runs a handler on each.

It uses only `praisonai_platform.db` and `praisonai_platform.services`: no HTTP, no web framework.
Start it with `praisonai-platform worker --handler module:function`, or embed it:

    from praisonai_platform.worker import WorkerLoop
    await WorkerLoop(handler, concurrency=4).run()
"""

from praisonai_platform.worker.context import ClaimedRun, RunContext, SyncRunContext
from praisonai_platform.worker.loop import WorkerLoop
from praisonai_platform.worker.main import run_worker

__all__ = ["ClaimedRun", "RunContext", "SyncRunContext", "WorkerLoop", "run_worker"]
