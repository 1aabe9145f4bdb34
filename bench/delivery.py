"""Benchmark 5 — the delivery outbox against the Bot API emulator: throughput, rate, memory.

Three measurements in one run, each push by a child process (``bench.delivery_worker``) on a
fresh database (a temporary SQLite file, or a temporary database on the PostgreSQL server),
against an emulator in its own process (``bench.delivery_emulator``):

1. **Pipeline vs plain aiohttp** — N subscribers of one explainer; a plain aiohttp loop posts
   N sendMessage with the same rendered message — text, buttons, preview options —
   (``concurrency`` in flight), then ``enqueue_articles`` plus one
   ``DeliveryService.send_due()`` (claim → plan → render → send as JSON through our aiohttp
   transport → record) with the same concurrency, emulator limits off and our limiter
   effectively off, then the raw loop again. Reported: msgs/s of both (the raw figure is the
   mean of the two loops) and their ratio; target ≥ 0.5. The outbox's steps are timed too.
2. **Rate accuracy** — a 2,000-chat push with the emulator enforcing 200/s overall (and 1/s
   per chat), the outbox configured to 200/s; then paid broadcast: emulator 1,000/s for
   ``allow_paid_broadcast`` sends, ``delivery.paid_broadcast = true`` at 1,000/s. Achieved
   msgs/s (sent ÷ drain time) against the configured rate (target within 10 %), and the 429s
   received (target 0).
3. **Peak RSS** of a ``--rss-chats``-chat push (100,000) in a fresh process, chats stored by
   an earlier process; target < 200 MB. Only on the first database given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bench.delivery_worker import BENCH_TOKEN
from bench.feeds import _database
from bench.measure import Server, run_child

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
RATE_CHATS = 2_000
PIPELINE_TIMEOUT = 900.0
RSS_TIMEOUT = 1800.0
RATES = (("overall 200/s", 200.0, False), ("paid 1,000/s", 1000.0, True))


@dataclass(frozen=True)
class DeliveryOptions:
    """What to run."""

    chats: int = 10_000
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    concurrency: int = 64
    rss_chats: int = 100_000
    profile: str | None = None


def _url(database: str) -> str | None:
    return POSTGRES_URL if database == "postgresql" else None


def _emulator(**limits: float) -> Server:
    args = ["--token", BENCH_TOKEN]
    for name, value in limits.items():
        args += [f"--{name.replace('_', '-')}", str(value)]
    return Server("bench.delivery_emulator", args, ready_timeout=60)


async def run_delivery(options: DeliveryOptions) -> dict[str, Any]:
    """Run benchmark 5 and return its raw results."""
    common = ["--concurrency", str(options.concurrency)]
    results: dict[str, Any] = {"options": options.__dict__, "pipeline": {}, "rate": {}}
    async with _emulator() as emulator:
        base_url = json.loads(emulator.ready_line)["base_url"]
        for database in options.databases:
            async with _database(_url(database)) as (url, name):
                profile = ["--profile", f"{options.profile}.{database}"] \
                    if options.profile else []
                [result] = await run_child("bench.delivery_worker", [
                    "--database", url, "--base-url", base_url, "--chats", str(options.chats),
                    "--mode", "pipeline", "--setup", *common, *profile],
                    timeout=PIPELINE_TIMEOUT)
                results["pipeline"][database] = {**result, "database": name}
    for label, rate, paid in RATES:
        limits = {"paid": rate} if paid else {"overall": rate}
        async with _emulator(**limits) as emulator:
            base_url = json.loads(emulator.ready_line)["base_url"]
            for database in options.databases:
                async with _database(_url(database)) as (url, _):
                    [result] = await run_child("bench.delivery_worker", [
                        "--database", url, "--base-url", base_url, "--chats", str(RATE_CHATS),
                        "--mode", "rate", "--setup", "--rate", str(rate),
                        *(["--paid"] if paid else []), *common], timeout=PIPELINE_TIMEOUT)
                    results["rate"][f"{label} {database}"] = result
    if options.rss_chats:
        database = options.databases[0]
        async with _emulator() as emulator, _database(_url(database)) as (url, name):
            base_url = json.loads(emulator.ready_line)["base_url"]
            worker = ["--database", url, "--base-url", base_url,
                      "--chats", str(options.rss_chats), *common]
            await run_child("bench.delivery_worker", [*worker, "--mode", "seed", "--setup"],
                            timeout=RSS_TIMEOUT)
            [result] = await run_child("bench.delivery_worker", [*worker, "--mode", "rss"],
                                       timeout=RSS_TIMEOUT)
            results["rss"] = {**result, "database": name}
    return results


def summarise_delivery(
    raw: dict[str, Any],
) -> tuple[list[list[str]], list[list[str]], list[str], list[str]]:
    """Return (pipeline rows, rate rows, target lines, problems that fail the run)."""
    pipeline_rows: list[list[str]] = []
    targets: list[str] = []
    problems: list[str] = []
    for database, result in raw["pipeline"].items():
        push = result["push"]
        raw_rate = sum(loop["msgs_per_s"] for loop in result["raw"]) / len(result["raw"])
        ratio = push["msgs_per_s"] / raw_rate
        steps = push["steps_s"]
        pipeline_rows.append([
            database, f"{push['sent']:,}", f"{push['msgs_per_s']:.0f}",
            " / ".join(f"{loop['msgs_per_s']:.0f}" for loop in result["raw"]),
            f"{ratio:.2f}",
            f"{push['enqueue_s']:.2f} + {push['drain_s']:.2f}",
            " / ".join(f"{steps.get(step, 0.0):.2f}"
                       for step in ("claim", "context", "send_jobs", "record")),
        ])
        targets.append(f"pipeline / plain aiohttp on {database}: {ratio:.2f} (target ≥ 0.5: "
                       f"{'met' if ratio >= 0.5 else 'MISSED'})")
        if push["not_sent"] or any(loop["failures"] for loop in result["raw"]):
            problems.append(f"{database}: {push['not_sent']} deliveries not sent, "
                            f"{sum(loop['failures'] for loop in result['raw'])} raw failures")
    rate_rows: list[list[str]] = []
    for label, result in raw["rate"].items():
        push = result["push"]
        achieved = push["drain_msgs_per_s"]
        error = achieved / result["rate"] - 1
        rate_rows.append([label, f"{result['rate']:.0f}", f"{achieved:.1f}",
                          f"{error:+.1%}", str(push["flood_waits"]), f"{push['sent']:,}"])
        targets.append(f"rate {label}: {achieved:.1f} msgs/s ({error:+.1%}; target within "
                       f"10 %: {'met' if abs(error) <= 0.10 else 'MISSED'}), "
                       f"{push['flood_waits']} × 429 (target 0: "
                       f"{'met' if push['flood_waits'] == 0 else 'MISSED'})")
        if push["not_sent"]:
            problems.append(f"rate {label}: {push['not_sent']} deliveries not sent")
    if "rss" in raw:
        rss = raw["rss"]
        memory, push = rss["memory"], rss["push"]
        peak = max(memory["rss_peak_mib"], memory["vmhwm_mib"])
        targets.append(
            f"peak RSS of a {push['sent']:,}-chat push ({rss['database']}): {peak:.0f} MiB "
            f"(+{memory['rss_increase_mib']:.0f} MiB over the {memory['rss_before_mib']:.0f} "
            f"MiB before it; target < 200 MB: "
            f"{'met' if peak * 1.048576 < 200 else 'MISSED'}); the push took "
            f"{push['total_s']:.0f} s ({push['msgs_per_s']:.0f} msgs/s)")
        if push["not_sent"]:
            problems.append(f"RSS push: {push['not_sent']} deliveries not sent")
    return pipeline_rows, rate_rows, targets, problems


PIPELINE_HEADER = ["database", "sent", "pipeline msgs/s", "plain aiohttp msgs/s (before / "
                   "after)", "ratio", "enqueue + drain s", "claim / context / send / record s"]
RATE_HEADER = ["limit", "configured msgs/s", "achieved msgs/s", "error", "429s", "sent"]


__all__ = ["PIPELINE_HEADER", "RATE_HEADER", "DeliveryOptions", "run_delivery",
           "summarise_delivery"]
