"""Benchmark 2 — sendMessage throughput to the Bot API emulator, three clients, one run.

The emulator runs in its own process (``python -m bot.emulator --port 0 --auto-create-chats``)
so that it does not share the clients' event loop. Each client sends the same number of
messages with the same number in flight (``concurrency`` workers, each awaiting its answer
before sending the next), to 100 private chats in turn:

* ``aiohttp`` — a plain aiohttp loop posting JSON to ``/bot<token>/sendMessage`` (the baseline);
* ``ptb+AiohttpRequest`` — PTB's ``Bot.send_message`` over our ``bot.transport.AiohttpRequest``;
* ``ptb+HTTPXRequest`` — PTB's ``Bot.send_message`` over its default ``HTTPXRequest`` (with
  ``connection_pool_size`` equal to the concurrency; PTB's default is 256).

Clients run in interleaved rounds (a, b, c, a, b, c, …) after a short warm-up each, so drift
on the shared machine hits them alike; the median round is reported.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from telegram import Bot
from telegram.request import HTTPXRequest

from bench.measure import ChildFailed, Server
from bot.transport import AiohttpRequest

TOKEN = "123456:BENCH-transport-token"  # noqa: S105 - the emulator's kind of fake token
CHATS = 100
WARMUP_MESSAGES = 200
ROUND_TIMEOUT = 300.0
CLIENTS = ("aiohttp", "ptb+AiohttpRequest", "ptb+HTTPXRequest")
_TEXT = ("Explained: what the new budget means for the frontline — five things to know about "
         "the parliament's vote, the central bank's warning and the winter power grid. #{n}")

Send = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class TransportOptions:
    """What to run."""

    messages: int = 3000
    concurrency: int = 64
    rounds: int = 3


async def _drive(send: Send, messages: int, concurrency: int) -> tuple[float, int]:
    """Send ``messages`` with ``concurrency`` in flight; return (seconds, failures)."""
    counter = iter(range(messages))
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for number in counter:
            try:
                await send(1000 + number % CHATS, _TEXT.format(n=number))
            except Exception:  # counted; a benchmark client must not stop the others
                failures += 1

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))),
                           ROUND_TIMEOUT)
    return time.perf_counter() - started, failures


class _PlainAiohttp:
    """The baseline: aiohttp JSON POSTs, the answer read and checked for ``"ok": true``."""

    def __init__(self, base_url: str, concurrency: int) -> None:
        self._url = f"{base_url}{TOKEN}/sendMessage"
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Send:
        connector = aiohttp.TCPConnector(limit=self._concurrency,
                                         limit_per_host=self._concurrency)
        self._session = aiohttp.ClientSession(connector=connector)
        return self.send

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, chat_id: int, text: str) -> None:
        """Send one message; raise unless Telegram would say ok."""
        assert self._session is not None
        async with self._session.post(self._url, json={"chat_id": chat_id, "text": text}) as r:
            answer = json.loads(await r.read())
            if not answer.get("ok"):
                raise RuntimeError(answer.get("description", "not ok"))


class _PtbClient:
    """PTB's ``Bot`` over the given request object."""

    def __init__(self, base_url: str, request: Any) -> None:
        self._bot = Bot(TOKEN, base_url=base_url, request=request)

    async def __aenter__(self) -> Send:
        await self._bot.initialize()
        return self.send

    async def __aexit__(self, *exc_info: object) -> None:
        await self._bot.shutdown()

    async def send(self, chat_id: int, text: str) -> None:
        """Send one message through ``Bot.send_message``."""
        await self._bot.send_message(chat_id, text)


def _client(name: str, base_url: str, concurrency: int) -> Any:
    if name == "aiohttp":
        return _PlainAiohttp(base_url, concurrency)
    if name == "ptb+AiohttpRequest":
        return _PtbClient(base_url, AiohttpRequest(pool_size=concurrency))
    return _PtbClient(base_url, HTTPXRequest(connection_pool_size=concurrency))


async def run_transport(options: TransportOptions) -> dict[str, Any]:
    """Run benchmark 2 and return its raw results."""
    args = ["--port", "0", "--token", TOKEN, "--auto-create-chats"]
    rounds: dict[str, list[float]] = {name: [] for name in CLIENTS}
    failures: dict[str, int] = dict.fromkeys(CLIENTS, 0)
    async with Server("bot.emulator", args, ready_timeout=60) as emulator:
        found = re.search(r"(http://127\.0\.0\.1:\d+/bot)", emulator.ready_line)
        if found is None:
            raise ChildFailed(f"unexpected emulator banner: {emulator.ready_line!r}")
        base_url = found.group(1)
        for _ in range(options.rounds):
            for name in CLIENTS:
                async with _client(name, base_url, options.concurrency) as send:
                    _, warmup_failures = await _drive(send, WARMUP_MESSAGES, options.concurrency)
                    seconds, failed = await _drive(send, options.messages, options.concurrency)
                failures[name] += warmup_failures + failed
                rounds[name].append(options.messages / seconds)
    return {
        "options": options.__dict__,
        "rates": rounds,
        "median": {name: statistics.median(values) for name, values in rounds.items()},
        "failures": failures,
    }


def summarise_transport(raw: dict[str, Any]) -> tuple[list[list[str]], list[str], list[str]]:
    """Return (table rows, ratio lines, problems that make the run a failure)."""
    median = raw["median"]
    rows = [[name, f"{median[name]:.0f}",
             " / ".join(f"{rate:.0f}" for rate in raw["rates"][name]),
             f"{median[name] / median['aiohttp']:.2f}", str(raw["failures"][name])]
            for name in CLIENTS]
    a, b, c = (median[name] for name in CLIENTS)
    ratios = [f"b/a (PTB+AiohttpRequest vs plain aiohttp) = {b / a:.2f}",
              f"c/a (PTB+HTTPXRequest vs plain aiohttp) = {c / a:.2f}",
              f"b/c (AiohttpRequest vs HTTPXRequest under PTB) = {b / c:.2f}"]
    problems = [f"{name}: {count} sendMessage calls failed"
                for name, count in raw["failures"].items() if count]
    return rows, ratios, problems


TRANSPORT_HEADER = ["client", "msgs/s (median)", "each round", "× plain aiohttp", "failures"]


__all__ = ["TRANSPORT_HEADER", "TransportOptions", "run_transport", "summarise_transport"]
