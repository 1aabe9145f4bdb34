"""``python -m bench [feeds|transport|html|summaries|delivery|latest] [options]`` — run benchmarks.

Without a command the first four run with their defaults (6,000 feeds × 5 entries; 3,000
messages, 64 in flight; web HTML → text on the fixtures and synthetic pages, 5 rounds; summary
quality on the pages of ``bench/data/summaries``, which needs the ``bench`` extra).
``python -m bench delivery`` (only when asked: it takes minutes and wants PostgreSQL) pushes
one explainer to 10,000 subscribers through the outbox against the emulator and compares it
with a plain aiohttp loop on SQLite and PostgreSQL, checks the limiter's rate against an
emulator enforcing 200/s and paid 1,000/s, and measures the peak RSS of a 100,000-chat push.
``python -m bench latest`` (only when asked; ``--postgres URL`` adds PostgreSQL) times /latest,
/topic and /search handling inside the process with 100,000 articles and 100,000 chats.

Exit status: 0 when everything ran (targets missed or not), 1 when something
failed outright (a child process crashed or timed out, polls or requests failed), 2 on bad
arguments. ``--json PATH`` also writes the raw results.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.delivery import (
    PIPELINE_HEADER,
    RATE_HEADER,
    DeliveryOptions,
    run_delivery,
    summarise_delivery,
)
from bench.feeds import FEEDS_HEADER, FeedsOptions, run_feeds, summarise_feeds
from bench.html_text import HTML_HEADER, HtmlOptions, run_html, summarise_html
from bench.latest import LATEST_HEADER, LatestOptions, run_latest, summarise_latest
from bench.measure import ChildFailed
from bench.summaries import (
    SUMMARIES_HEADER,
    SummaryOptions,
    run_summaries,
    summarise_summaries,
)
from bench.transport import (
    TRANSPORT_HEADER,
    TransportOptions,
    run_transport,
    summarise_transport,
)

MAX_FEEDS = 100_000
MAX_MESSAGES = 200_000


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths,
                                                                           strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--json", metavar="PATH", help="also write the raw results here")
    commands = parser.add_subparsers(dest="command")
    feeds = commands.add_parser("feeds", help="feed polling: first poll and unchanged re-poll")
    feeds.add_argument("--feeds", type=int, default=6000, help="number of feeds (6000)")
    feeds.add_argument("--entries", type=int, default=5, help="entries per feed (5)")
    feeds.add_argument("--database", help="SQLAlchemy URL; a postgresql+asyncpg:// server gets "
                       "a temporary database (default: a temporary SQLite file)")
    feeds.add_argument("--ports", type=int, default=16,
                       help="ports the feeds are spread over, i.e. hosts (16)")
    feeds.add_argument("--concurrency", type=int, default=64,
                       help="ingestion.total_concurrency (64, the default setting)")
    feeds.add_argument("--per-host", type=int, default=4,
                       help="ingestion.per_host_concurrency (4, the default setting)")
    feeds.add_argument("--workers", type=int, default=0,
                       help="ingestion.workers (0, the default setting: a thread)")
    feeds.add_argument("--profile", metavar="PATH",
                       help="write a cProfile of each poll phase to PATH.<phase> (slower)")
    transport = commands.add_parser("transport", help="sendMessage throughput, three clients")
    transport.add_argument("--messages", type=int, default=3000, help="per client per round")
    transport.add_argument("--concurrency", type=int, default=64, help="in flight (64)")
    transport.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    html = commands.add_parser("html", help="web HTML → text, time per page: new vs old")
    html.add_argument("--html-rounds", type=int, default=5, help="interleaved rounds (5)")
    html.add_argument("--big-kib", type=int, default=512,
                      help="size of the largest synthetic page in KiB (512)")
    summaries = commands.add_parser(
        "summaries", help="summary quality: ROUGE F1 against og:description, ours vs leads")
    summaries.add_argument("--sentences", type=int, default=3,
                           help="ingestion.summary_sentences (3, the default setting)")
    summaries.add_argument("--show", action="store_true",
                           help="print every page's reference and summaries")
    delivery = commands.add_parser(
        "delivery", help="outbox throughput vs plain aiohttp, rate accuracy, peak RSS")
    delivery.add_argument("--chats", type=int, default=10_000,
                          help="subscribers of the pushed explainer (10000)")
    delivery.add_argument("--database", choices=("sqlite", "postgresql", "both"),
                          default="both", help="sqlite (a temporary file), postgresql (a "
                          "temporary database at 127.0.0.1:5432) or both (default)")
    delivery.add_argument("--concurrency", type=int, default=64,
                          help="delivery.concurrency and the raw loop's in flight (64)")
    delivery.add_argument("--rss-chats", type=int, default=100_000,
                          help="chats of the peak-RSS push, 0 to skip it (100000)")
    delivery.add_argument("--profile", metavar="PATH",
                          help="write a cProfile of each pipeline push to PATH.<database>")
    latest = commands.add_parser(
        "latest", help="/latest, /topic and /search handling latency, 100,000 articles × "
        "100,000 chats (not part of the default run)")
    latest.add_argument("--articles", type=int, default=100_000, help="articles (100000)")
    latest.add_argument("--chats", type=int, default=100_000, help="chats (100000)")
    latest.add_argument("--calls", type=int, default=300, help="calls per case (300)")
    latest.add_argument("--postgres", metavar="URL",
                        help="also on PostgreSQL: a postgresql+asyncpg:// server, where a "
                        "temporary database is created and dropped")
    return parser


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.command in (None, "feeds"):
        feeds = getattr(args, "feeds", 6000)
        if not 1 <= feeds <= MAX_FEEDS or not 1 <= getattr(args, "entries", 5) <= 100:
            parser.error(f"--feeds must be 1–{MAX_FEEDS} and --entries 1–100")
    if args.command in (None, "transport"):
        if not 1 <= getattr(args, "messages", 3000) <= MAX_MESSAGES:
            parser.error(f"--messages must be 1–{MAX_MESSAGES}")
        if not 1 <= getattr(args, "concurrency", 64) <= 1000:
            parser.error("--concurrency must be 1–1000")
        if not 1 <= getattr(args, "rounds", 3) <= 10:
            parser.error("--rounds must be 1–10")
    if args.command in (None, "html"):
        if not 1 <= getattr(args, "html_rounds", 5) <= 50:
            parser.error("--html-rounds must be 1–50")
        if not 1 <= getattr(args, "big_kib", 512) <= 16_384:
            parser.error("--big-kib must be 1–16384")
    if args.command == "delivery":
        if not 1 <= args.chats <= MAX_MESSAGES or not 0 <= args.rss_chats <= MAX_MESSAGES:
            parser.error(f"--chats must be 1–{MAX_MESSAGES} and --rss-chats 0–{MAX_MESSAGES}")
        if not 1 <= args.concurrency <= 1024:
            parser.error("--concurrency must be 1–1024")
    if args.command == "latest" and not (
            1_000 <= args.articles <= 1_000_000 and 1 <= args.chats <= 1_000_000
            and 10 <= args.calls <= 10_000):
        parser.error("--articles must be 1000–1000000, --chats 1–1000000, --calls 10–10000")
    if args.command in (None, "summaries") and not 1 <= getattr(args, "sentences", 3) <= 10:
        parser.error("--sentences must be 1–10")


async def _run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    raw: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
    }
    problems: list[str] = []
    print(f"newsbot benchmarks — {raw['date']} — {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}", flush=True)
    if args.command in (None, "feeds"):
        options = FeedsOptions(
            feeds=getattr(args, "feeds", 6000), entries=getattr(args, "entries", 5),
            database=getattr(args, "database", None), ports=getattr(args, "ports", 16),
            concurrency=getattr(args, "concurrency", 64), per_host=getattr(args, "per_host", 4),
            workers=getattr(args, "workers", 0),
            profile=getattr(args, "profile", None),
        )
        print(f"\n## Feed polling: {options.feeds} feeds × {options.entries} entries, "
              f"{options.ports} hosts, {options.concurrency} in flight "
              f"({options.per_host} per host)", flush=True)
        raw["feeds"] = result = await run_feeds(options)
        rows, targets, failed = summarise_feeds(result)
        served = result["server"]
        print(f"database: {result['options']['database']}; mean feed "
              f"{served['mean_feed_bytes']:.0f} B ({served['mean_gzip_bytes']:.0f} B gzip)\n")
        print(_table(FEEDS_HEADER, rows))
        print("\n" + "\n".join(targets), flush=True)
        problems.extend(failed)
    if args.command in (None, "transport"):
        topts = TransportOptions(messages=getattr(args, "messages", 3000),
                                 concurrency=getattr(args, "concurrency", 64),
                                 rounds=getattr(args, "rounds", 3))
        print(f"\n## Telegram transport: {topts.messages} sendMessage × {topts.rounds} rounds "
              f"per client, {topts.concurrency} in flight, emulator in its own process",
              flush=True)
        raw["transport"] = tresult = await run_transport(topts)
        rows, ratios, failed = summarise_transport(tresult)
        print()
        print(_table(TRANSPORT_HEADER, rows))
        print("\n" + "\n".join(ratios), flush=True)
        problems.extend(failed)
    if args.command in (None, "html"):
        hopts = HtmlOptions(rounds=getattr(args, "html_rounds", 5),
                            big_kib=getattr(args, "big_kib", 512))
        print(f"\n## Web HTML → text: html_to_text per page, html.parser vs the hand-written "
              f"tokeniser it replaced, best of {hopts.rounds} interleaved rounds", flush=True)
        raw["html"] = hresult = await asyncio.to_thread(run_html, hopts)
        rows, lines, failed = summarise_html(hresult)
        print()
        print(_table(HTML_HEADER, rows))
        print("\n" + "\n".join(lines), flush=True)
        problems.extend(failed)
    if args.command in (None, "summaries"):
        sopts = SummaryOptions(sentences=getattr(args, "sentences", 3),
                               show=getattr(args, "show", False))
        print(f"\n## Summary quality: mean F1 against each page's og:description, "
              f"{sopts.sentences}-sentence summaries", flush=True)
        raw["summaries"] = sresult = await asyncio.to_thread(run_summaries, sopts)
        rows, lines, failed = summarise_summaries(sresult, sopts.show)
        print()
        print(_table(SUMMARIES_HEADER, rows))
        print("\n" + "\n".join(lines), flush=True)
        problems.extend(failed)
    if args.command == "delivery":
        dopts = DeliveryOptions(
            chats=args.chats, concurrency=args.concurrency, rss_chats=args.rss_chats,
            databases=("sqlite", "postgresql") if args.database == "both" else (args.database,),
            profile=args.profile)
        print(f"\n## Delivery: {dopts.chats:,}-chat push vs plain aiohttp, "
              f"{dopts.concurrency} in flight; rate at 200/s and paid 1,000/s; peak RSS of a "
              f"{dopts.rss_chats:,}-chat push", flush=True)
        raw["delivery"] = dresult = await run_delivery(dopts)
        pipeline_rows, rate_rows, targets, failed = summarise_delivery(dresult)
        print()
        print(_table(PIPELINE_HEADER, pipeline_rows))
        print()
        print(_table(RATE_HEADER, rate_rows))
        print("\n" + "\n".join(targets), flush=True)
        problems.extend(failed)
    if args.command == "latest":
        lopts = LatestOptions(articles=args.articles, chats=args.chats, calls=args.calls,
                              postgres=args.postgres)
        print(f"\n## /latest, /topic and /search: {lopts.articles} articles × "
              f"{lopts.chats} chats, {lopts.calls} calls per case, one at a time", flush=True)
        raw["latest"] = lresult = await run_latest(lopts)
        rows, lines, failed = summarise_latest(lresult)
        print()
        print(_table(LATEST_HEADER, rows))
        print("\n" + "\n".join(lines), flush=True)
        problems.extend(failed)
    return raw, problems


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m bench``."""
    parser = _parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    try:
        raw, problems = asyncio.run(_run(args))
    except ChildFailed as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1
    if args.json:
        Path(args.json).write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
