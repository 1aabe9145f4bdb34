"""Where ingestion's CPU-bound work runs: worker processes, or a thread when there are none."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: A worker process is replaced after this many jobs, so memory it accumulated (allocator
#: fragmentation after thousands of summaries) is returned; a respawn costs about a second.
WORKER_TASKS_PER_CHILD = 1000


def create_worker_pool(workers: int) -> ProcessPoolExecutor | None:
    """The process pool for CPU-bound ingestion work, or None for threads (workers = 0).

    spawn, not fork: the bot's process already runs threads (aiosqlite, asyncio)."""
    if workers <= 0:
        return None
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"),
        max_tasks_per_child=WORKER_TASKS_PER_CHILD,
    )


class CpuRunner:
    """Runs CPU-bound work (parsing, summarising) off the event loop: in the worker processes
    when there are any (the GIL then stays free for the bot's handlers), else in a thread.
    A broken pool falls back to a thread for good."""

    def __init__(self, executor: Executor | None) -> None:
        self._executor = executor

    async def run(self, job: Callable[[], T]) -> T:
        """Return ``job()``, computed in a worker process or a thread."""
        if self._executor is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(self._executor, job)
            except BrokenProcessPool:
                logger.error("ingestion worker process died; falling back to a thread")
                self._executor = None
        return await asyncio.to_thread(job)
