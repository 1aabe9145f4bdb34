"""The scheduler's own jobs: feeds polled on their interval, the outbox drained."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.emulator import BotAPIEmulator
from tests.support.demo_feed import feed_config, publish_pow_explainer
from tests.support.feedserver import FeedServer
from tests.support.users import subscribe


async def _until(condition: Any, seconds: float) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return bool(condition())


def _articles(bot: Any) -> bool:
    """True once the first poll's articles are counted."""
    return bool(bot.metrics.articles.labels("new")._value.get())


async def test_jobs_poll_feeds_and_push_without_help(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """The feed job polls on start (a baseline, not pushed); the outbox job pushes news."""
    settings = {**feed_config(feed_server), "ingestion": {"jitter": 0}}
    async with running_bot(schedule_feeds=True, extra=settings) as bot:
        await subscribe(emulator, 51, "Russia")
        assert await _until(lambda: feed_server.requests("/feed.xml") == 1, 10)
        assert await _until(lambda: _articles(bot), 10)
        runs = bot.metrics.outbox_runs._value.get()
        assert await _until(lambda: bot.metrics.outbox_runs._value.get() >= runs + 1, 10)
        assert not any("EXPLAINED" in (m.get("text") or "") for m in emulator.sent(51))
        publish_pow_explainer(feed_server)
        await bot.poll_feed(1)  # stands in for the next interval (60 s at the least)
        messages = await emulator.wait_for_sent(51, count=2, timeout=10)  # sent by the job
        assert "POWs" in messages[-1]["text"]
