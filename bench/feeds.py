"""Benchmark 1 — polling N synthetic feeds: first poll, then an unchanged re-poll.

Processes, so that no two of them share an event loop or a resident set:

1. ``tests.support.feedserver`` serves the N feeds (separate process, ``--ports`` ports of
   127.0.0.1);
2. ``bench.fetch_baseline`` fetches them with a plain aiohttp loop under the same caps
   (unconditional, then conditional) — the baseline;
3. ``bench.ingest_worker --phases first,repoll`` runs the bot's ``IngestionService``: the first
   poll (everything new: parsed, summarised, tagged, stored) and, in the same process, the
   unchanged re-poll (all feeds made due by one UPDATE) — peak memory as a long-running bot
   sees it;
4. ``bench.ingest_worker --phases repoll`` in a fresh process — the re-poll's own peak memory.

The database is a temporary SQLite file, or with ``--database postgresql+asyncpg://…`` a
temporary database created on that server and dropped afterwards.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.measure import ChildFailed, Server, run_child

#: The acceptance target from the issue.
TARGET_FEEDS = 6000
TARGET_SECONDS = 60.0
TARGET_RSS_MIB = 300.0
#: Wall-time bounds for the child processes (the benchmark never runs unbounded).
FIRST_POLL_TIMEOUT = 2400.0
REPOLL_TIMEOUT = 600.0


@dataclass(frozen=True)
class FeedsOptions:
    """What to run."""

    feeds: int = 6000
    entries: int = 5
    database: str | None = None  # None: a temporary SQLite file
    ports: int = 16
    concurrency: int = 64
    per_host: int = 4
    workers: int = 0  # ingestion.workers
    profile: str | None = None  # a cProfile output path for the first poll (slow)


@asynccontextmanager
async def _database(url: str | None) -> AsyncIterator[tuple[str, str]]:
    """Yield (URL, description) of an empty database that is removed afterwards."""
    if url is None:
        directory = Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
        try:
            yield f"sqlite+aiosqlite:///{directory / 'bench.db'}", "SQLite (temporary file)"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        yield url, parsed.get_backend_name()  # used as given; the caller owns its contents
        return
    import asyncpg  # type: ignore[import-untyped]

    name = f"newsbot_bench_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(
            host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
            user=parsed.username or "postgres", password=parsed.password,
            database=parsed.database or "postgres", timeout=10,
        )
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield (parsed.set(database=name).render_as_string(hide_password=False),
               f"PostgreSQL (temporary database on {parsed.host}:{parsed.port or 5432})")
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}"')


async def run_feeds(options: FeedsOptions) -> dict[str, Any]:
    """Run benchmark 1 and return its raw results (see :func:`summarise_feeds`)."""
    server_args = ["--feeds", str(options.feeds), "--entries", str(options.entries),
                   "--ports", str(options.ports)]
    async with Server("tests.support.feedserver", server_args, ready_timeout=300) as server, \
            _database(options.database) as (database_url, database_name):
        info = json.loads(server.ready_line)
        ports = ",".join(str(port) for port in info["ports"])
        stats_url = f"http://127.0.0.1:{info['ports'][0]}/_stats"
        common = ["--ports", ports, "--stats-url", stats_url, "--feeds", str(options.feeds),
                  "--concurrency", str(options.concurrency), "--per-host", str(options.per_host)]
        baseline = await run_child("bench.fetch_baseline", common, timeout=REPOLL_TIMEOUT)
        worker = [*common, "--database", database_url, "--workers", str(options.workers)]
        profile = ["--profile", options.profile] if options.profile else []
        same_process = await run_child(
            "bench.ingest_worker", [*worker, "--setup", "--phases", "first,repoll", *profile],
            timeout=FIRST_POLL_TIMEOUT,
        )
        fresh = await run_child("bench.ingest_worker", [*worker, "--phases", "repoll"],
                                timeout=REPOLL_TIMEOUT)
    by_phase = {result["phase"]: result for result in same_process}
    return {
        "options": {**options.__dict__, "database": database_name},
        "server": info,
        "baseline": {result["phase"]: result for result in baseline},
        "first": by_phase["first"],
        "repoll_same_process": by_phase["repoll"],
        "repoll_fresh_process": fresh[0],
    }


def _rate(feeds: int, seconds: float) -> float:
    return feeds / seconds if seconds > 0 else 0.0


def _total_hwm(result: dict[str, Any]) -> float:
    """Peak RSS of the bot process plus its ingestion worker process(es), MiB."""
    return float(result["vmhwm_mib"]) + float(result.get("workers_hwm_mib", 0))


def summarise_feeds(raw: dict[str, Any]) -> tuple[list[list[str]], list[str], list[str]]:
    """Return (table rows, target lines, problems that make the run a failure)."""
    feeds = int(raw["options"]["feeds"])
    base_first, base_repoll = raw["baseline"]["first"], raw["baseline"]["repoll"]
    first, repoll = raw["first"], raw["repoll_same_process"]
    fresh = raw["repoll_fresh_process"]
    rows: list[list[str]] = []

    def row(label: str, result: dict[str, Any], baseline: dict[str, Any] | None,
            stored: str) -> None:
        wall = float(result["wall_s"])
        server = result["server"]
        ratio = f"{wall / float(baseline['wall_s']):.1f}×" if baseline else "—"
        rows.append([
            label, f"{wall:.2f}", f"{_rate(feeds, wall):.0f}", ratio,
            f"{result['cpu_s'] + result.get('workers_cpu_s', 0):.1f}",
            f"{_total_hwm(result):.0f}", f"+{result['rss_increase_mib']:.0f}",
            f"{server.get('requests', 0)}/{server.get('not_modified', 0)}", stored,
        ])

    row("baseline: plain aiohttp GET", base_first, None, "—")
    row("ingestion: first poll", first, base_first, str(first["rows_added"]["articles"]))
    row("baseline: conditional GET", base_repoll, None, "—")
    row("ingestion: re-poll (same process)", repoll, base_repoll,
        str(repoll["rows_added"]["articles"]))
    row("ingestion: re-poll (fresh process)", fresh, base_repoll,
        str(fresh["rows_added"]["articles"]))

    problems: list[str] = []
    for name, result in (("first poll", first), ("re-poll", repoll), ("fresh re-poll", fresh)):
        outcomes = result["outcomes"]
        if outcomes["errors"]:
            problems.append(f"{name}: {outcomes['errors']} of {outcomes['polled']} polls failed "
                            f"{outcomes['error_kinds']} (e.g. {outcomes['error_sample']})")
    for name, result in (("baseline", base_first), ("baseline re-poll", base_repoll)):
        if result["errors"]:
            problems.append(f"{name}: {result['errors']} requests failed {result['statuses']}")

    scale = TARGET_FEEDS / feeds
    targets = []
    for name, result in (("first poll", first), ("unchanged re-poll", fresh)):
        projected = float(result["wall_s"]) * scale
        verdict = "met" if projected < TARGET_SECONDS else "MISSED"
        extra = "" if feeds == TARGET_FEEDS else (
            f" (projected linearly from N={feeds}; a lower bound if the cost per feed grows "
            "with the database)")
        targets.append(f"{name}: {TARGET_FEEDS} feeds in {projected:.0f} s{extra} — target "
                       f"< {TARGET_SECONDS:.0f} s: {verdict}")
    for name, result in (("first poll + re-poll, one process", repoll),
                         ("re-poll, fresh process", fresh)):
        total = _total_hwm(result)
        verdict = "met" if total < TARGET_RSS_MIB else "MISSED"
        targets.append(f"peak RSS, {name}: {total:.0f} MiB (bot {result['vmhwm_mib']:.0f} + "
                       f"worker {result.get('workers_hwm_mib', 0):.0f}) — target "
                       f"< {TARGET_RSS_MIB:.0f} MB: {verdict}")
    claims = first.get("outbox_claims")
    if claims:
        targets.append(
            f"outbox claims during the first poll (a write transaction every 0.5 s): "
            f"{claims['claims']}, median {claims['p50_ms']} ms, p95 {claims['p95_ms']} ms, "
            f"max {claims['max_ms']} ms (the outbox job runs every 2 s)")
    for name, result in (("re-poll", repoll), ("fresh re-poll", fresh)):
        server = result["server"]
        one_get = (server.get("requests") == feeds and server.get("not_modified") == feeds
                   and result["rows_added"]["articles"] == 0
                   and result["outcomes"]["not_modified"] == feeds)
        targets.append(
            f"{name}: {server.get('requests', 0)} requests, {server.get('not_modified', 0)} "
            f"answered 304, {result['rows_added']['articles']} articles added — one "
            f"conditional GET per unchanged feed: {'met' if one_get else 'MISSED'}")
    return rows, targets, problems


FEEDS_HEADER = ["phase", "wall s", "feeds/s", "× baseline", "CPU s", "peak RSS MiB",
                "RSS increase", "requests/304", "articles stored"]


__all__ = ["FEEDS_HEADER", "ChildFailed", "FeedsOptions", "run_feeds", "summarise_feeds"]
