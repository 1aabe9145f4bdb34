"""The bot side of the feed benchmark, run as its own process by ``bench.feeds``.

``python -m bench.ingest_worker --database URL --ports P1,P2,… --feeds N --phases first,repoll``
builds settings with N ``[[feeds]]`` (URLs as the feed server announces them) and the
benchmark topics, syncs them into the database (``--setup`` also migrates the schema), then for
each phase times ``IngestionService.poll_due_feeds()`` and prints one result line:

* ``first`` — every feed is due (never polled): all entries are new;
* ``repoll`` — one UPDATE makes every feed due again; the feeds have not changed.

Each result has the wall and CPU time, memory (see :class:`bench.measure.PhaseMeter`), the poll
outcomes, the rows stored and the feed server's counters for the phase. ``--profile PATH``
writes a cProfile of each phase to ``PATH.<phase>``; it runs ``asyncio.to_thread`` work
inline on the loop so the profile sees parsing and summarising (slower; not for figures).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.measure import PhaseMeter, emit_result
from bot.config import Settings, load_settings
from bot.ingest.fetch import FeedFetcher
from bot.services.polling import IngestionService, PollResult
from bot.services.workers import create_worker_pool
from storage.db import create_engine, create_session_factory, upgrade_schema, write_session
from storage.deliveries import claim_due
from storage.models import Article, ArticleSource, ArticleTag, ArticleTopic, Feed, TopicSummary
from tests.support.feedserver.synthetic import TOPICS, feed_url

BENCH_TOKEN = "123456:BENCH-token"  # noqa: S105 - the emulator's kind of fake token
_T = TypeVar("_T")


def bench_settings(database_url: str, ports: list[int], feeds: int, concurrency: int,
                   per_host: int, workers: int = 0) -> Settings:
    """Settings with ``feeds`` configured feeds spread over ``ports`` and the bench topics."""
    return load_settings(None, overrides={
        "telegram": {"token": BENCH_TOKEN},
        "database": {"url": database_url},
        "ingestion": {"total_concurrency": concurrency, "per_host_concurrency": per_host,
                      "workers": workers,
                      "jitter": 0, "allow_private_networks": True},
        "topics": [dict(topic) for topic in TOPICS],
        "feeds": [{"url": feed_url(ports[index % len(ports)], index),
                   "name": f"Bench section {index}", "interval": 900}
                  for index in range(feeds)],
    })


async def _server_counts(stats_url: str) -> dict[str, int]:
    async with aiohttp.ClientSession() as session, session.get(stats_url) as response:
        data: dict[str, int] = json.loads(await response.read())
        return data


async def _table_counts(engine: AsyncEngine) -> dict[str, int]:
    tables = {"articles": Article, "article_sources": ArticleSource,
              "article_topics": ArticleTopic, "article_tags": ArticleTag,
              "topic_summaries": TopicSummary}
    counts: dict[str, int] = {}
    async with engine.connect() as connection:
        for name, model in tables.items():
            counts[name] = int(await connection.scalar(select(func.count()).select_from(model))
                               or 0)
    return counts


def _worker_pids(workers: ProcessPoolExecutor | None) -> list[int]:
    processes = getattr(workers, "_processes", None) or {}
    return [int(pid) for pid in processes]


def _workers_hwm(workers: ProcessPoolExecutor | None) -> float:
    """Sum of the live worker processes' peak RSS (VmHWM), MiB."""
    total = 0.0
    for pid in _worker_pids(workers):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


class WorkerWatch:
    """Samples the worker processes while a phase runs: workers are recycled
    (max_tasks_per_child), so their peak and CPU must be caught before they exit."""

    def __init__(self, workers: ProcessPoolExecutor | None) -> None:
        self._workers = workers
        self.peak_mib = 0.0
        self._cpu: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None

    def _sample(self) -> None:
        self.peak_mib = max(self.peak_mib, _workers_hwm(self._workers))
        for pid in _worker_pids(self._workers):
            self._cpu[pid] = _workers_cpu_of(pid)

    async def _run(self) -> None:
        while True:
            self._sample()
            await asyncio.sleep(0.2)

    def start(self) -> None:
        """Begin sampling."""
        self._sample()
        self._base = dict(self._cpu)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        """Take a last sample and stop."""
        if self._task is not None:
            self._task.cancel()
        self._sample()

    @property
    def cpu_s(self) -> float:
        """CPU seconds the workers used during the phase (as last sampled)."""
        return sum(cpu - self._base.get(pid, 0.0) for pid, cpu in self._cpu.items())


class OutboxProbe:
    """Runs what the bot's outbox job runs every 2 s (a write transaction claiming due
    deliveries; the outbox is empty here) every ``interval`` seconds while a phase runs, and
    records how long each claim took: the wait a big poll imposes on the bot's own writes."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession],
                 interval: float = 0.5) -> None:
        self._sessions = session_factory
        self._interval = interval
        self.latencies: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            async with write_session(self._sessions) as session:
                await claim_due(session, datetime.now(UTC), 50)
            self.latencies.append(time.perf_counter() - started)
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        """Begin probing."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> dict[str, float]:
        """Stop; return the claims' count, median, 95th percentile and maximum (ms)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        ordered = sorted(self.latencies) or [0.0]
        def at(share: float) -> float:
            return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)
        return {"claims": len(self.latencies), "p50_ms": at(0.5), "p95_ms": at(0.95),
                "max_ms": round(1000 * ordered[-1], 1)}


def _workers_cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _make_all_due(engine: AsyncEngine) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    async with engine.begin() as connection:
        await connection.execute(update(Feed).values(next_poll_at=past))


def _outcomes(results: list[PollResult]) -> dict[str, Any]:
    errors = Counter(result.error_kind for result in results if result.error is not None)
    sample = next((result.error for result in results if result.error is not None), None)
    return {
        "polled": len(results),
        "ok": sum(result.ok for result in results),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "error_sample": sample,
        "not_modified": sum(result.not_modified for result in results),
        "new": sum(result.new for result in results),
        "updated": sum(result.updated for result in results),
        "unchanged": sum(result.unchanged for result in results),
        "linked": sum(result.linked for result in results),
    }


async def _inline_to_thread(function: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    return function(*args, **kwargs)


async def run(args: argparse.Namespace) -> None:
    """Set up, then run and report each phase."""
    ports = [int(port) for port in args.ports.split(",")]
    started = time.perf_counter()
    settings = bench_settings(args.database, ports, args.feeds, args.concurrency, args.per_host,
                              args.workers)
    settings_seconds = time.perf_counter() - started
    engine = create_engine(settings.database.url, pool_size=settings.database.pool_size)
    try:
        if args.setup:
            await upgrade_schema(engine)
        session_factory = create_session_factory(engine)
        # The worker process(es) the bot uses for parsing and summarising (ingestion.workers).
        workers = create_worker_pool(settings.ingestion.workers)
        async with FeedFetcher(settings.ingestion) as fetcher:
            service = IngestionService(session_factory, fetcher, settings, executor=workers)
            started = time.perf_counter()
            feed_ids = await service.sync_config()
            sync_seconds = time.perf_counter() - started
            for phase in args.phases.split(","):
                if phase == "repoll":
                    await _make_all_due(engine)
                watch = WorkerWatch(workers)
                watch.start()
                probe = OutboxProbe(session_factory)
                probe.start()
                tables_before = await _table_counts(engine)
                server_before = await _server_counts(args.stats_url)
                poll: Callable[[], Awaitable[list[PollResult]]] = service.poll_due_feeds
                profiler = cProfile.Profile() if args.profile else None
                with PhaseMeter() as meter:
                    if profiler is not None:
                        profiler.enable()
                    results = await poll()
                    if profiler is not None:
                        profiler.disable()
                watch.stop()
                outbox = await probe.stop()
                if profiler is not None:
                    profiler.dump_stats(f"{args.profile}.{phase}")
                server_after = await _server_counts(args.stats_url)
                tables_after = await _table_counts(engine)
                emit_result({
                    "phase": phase,
                    "feeds": len(feed_ids),
                    "settings_s": round(settings_seconds, 3),
                    "sync_config_s": round(sync_seconds, 3),
                    **meter.as_dict(),
                    "workers_cpu_s": round(watch.cpu_s, 3),
                    "workers_hwm_mib": round(watch.peak_mib, 1),
                    "outbox_claims": outbox,
                    "outcomes": _outcomes(results),
                    "server": {key: server_after.get(key, 0) - server_before.get(key, 0)
                               for key in server_after},
                    "rows_added": {key: tables_after[key] - tables_before[key]
                                   for key in tables_after},
                    "rows_total": tables_after,
                })
    finally:
        if workers is not None:
            workers.shutdown(wait=True, cancel_futures=True)
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bench.ingest_worker``."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_worker")
    parser.add_argument("--database", required=True)
    parser.add_argument("--ports", required=True, help="comma-separated feed server ports")
    parser.add_argument("--stats-url", required=True)
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--phases", default="first,repoll")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--workers", type=int, default=0, help="ingestion.workers")
    parser.add_argument("--setup", action="store_true", help="migrate the schema first")
    parser.add_argument("--profile", metavar="PATH", help="write a cProfile of the phases")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.profile:
        asyncio.to_thread = _inline_to_thread  # type: ignore[assignment]
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
