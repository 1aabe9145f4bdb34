"""The baseline of the feed benchmark: a plain aiohttp loop, run as its own process.

``python -m bench.fetch_baseline --ports P1,P2,… --feeds N --stats-url URL`` fetches the same N
feed URLs as the bot, under the same caps (``--concurrency`` in total, ``--per-host`` per
host:port, gzip accepted and decoded), and prints one result line per phase:

* ``first`` — unconditional GETs, bodies read in full (no parsing, no storing);
* ``repoll`` — conditional GETs with the ETag and Last-Modified the first phase got.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter

import aiohttp

from bench.measure import PhaseMeter, emit_result
from tests.support.feedserver.synthetic import feed_url


async def _server_counts(session: aiohttp.ClientSession, stats_url: str) -> dict[str, int]:
    async with session.get(stats_url) as response:
        data: dict[str, int] = json.loads(await response.read())
        return data


async def run(args: argparse.Namespace) -> None:
    """Run both phases and report them."""
    ports = [int(port) for port in args.ports.split(",")]
    urls = [feed_url(ports[index % len(ports)], index) for index in range(args.feeds)]
    validators: dict[str, tuple[str | None, str | None]] = {}
    slots = asyncio.Semaphore(args.concurrency)
    connector = aiohttp.TCPConnector(limit=args.concurrency, limit_per_host=args.per_host)
    timeout = aiohttp.ClientTimeout(total=70, sock_connect=10, sock_read=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     headers={"Accept-Encoding": "gzip, deflate"},
                                     cookie_jar=aiohttp.DummyCookieJar()) as session, \
            aiohttp.ClientSession() as control:

        async def fetch(url: str, conditional: bool) -> int:
            headers: dict[str, str] = {}
            if conditional:
                etag, last_modified = validators.get(url, (None, None))
                if etag:
                    headers["If-None-Match"] = etag
                if last_modified:
                    headers["If-Modified-Since"] = last_modified
            async with slots, session.get(url, headers=headers) as response:
                await response.read()
                if response.status == 200:
                    validators[url] = (response.headers.get("ETag"),
                                       response.headers.get("Last-Modified"))
                return response.status

        for phase in ("first", "repoll"):
            before = await _server_counts(control, args.stats_url)
            with PhaseMeter() as meter:
                statuses = await asyncio.gather(
                    *(fetch(url, phase == "repoll") for url in urls), return_exceptions=True
                )
            after = await _server_counts(control, args.stats_url)
            outcome = Counter(
                status if isinstance(status, int) else status.__class__.__name__
                for status in statuses
            )
            emit_result({
                "phase": phase,
                "feeds": len(urls),
                **meter.as_dict(),
                "statuses": {str(key): value for key, value in outcome.items()},
                "errors": sum(value for key, value in outcome.items()
                              if not isinstance(key, int) or key not in (200, 304)),
                "server": {key: after.get(key, 0) - before.get(key, 0) for key in after},
            })


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bench.fetch_baseline``."""
    parser = argparse.ArgumentParser(prog="python -m bench.fetch_baseline")
    parser.add_argument("--ports", required=True)
    parser.add_argument("--stats-url", required=True)
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--per-host", type=int, default=4)
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
