"""/metrics as Prometheus scrapes it: command latency and updates by type and outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from bot.emulator import BotAPIEmulator
from tests.support.users import subscribe


async def _scrape(bot: Any) -> dict[str, Metric]:
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{bot.web.port}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {family.name: family for family in text_string_to_metric_families(text)}


def _value(family: Metric, sample_name: str, **labels: str) -> float:
    found = [s.value for s in family.samples
             if s.name == sample_name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (sample_name, labels, family.samples)
    return found[0]


async def test_metrics_parse_and_count_commands_buttons_and_failures(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """After /start, a topic tap and a /help whose reply fails, /metrics parses and has a
    latency histogram per command and button kind, and updates counted by type and outcome."""
    async with running_bot() as bot:
        await subscribe(emulator, 4001, "Russia")  # /start, then one button press
        emulator.faults.block(4001)
        await emulator.user(4001).send("/help")  # the reply fails: outcome "error"
        await emulator.wait_for_calls("sendMessage", count=2, timeout=10)
        families = await _scrape(bot)
        for _ in range(50):  # the failed update is counted once its error handler ran
            if 'outcome="error"' in str(families["newsbot_updates"].samples):
                break
            await asyncio.sleep(0.05)
            families = await _scrape(bot)

    seconds = families["newsbot_command_seconds"]
    assert seconds.type == "histogram"
    assert _value(seconds, "newsbot_command_seconds_count", command="start") == 1
    assert _value(seconds, "newsbot_command_seconds_count", command="help") == 1
    assert _value(seconds, "newsbot_command_seconds_count", command="button:topic") == 1
    assert _value(seconds, "newsbot_command_seconds_bucket", command="start", le="+Inf") == 1
    assert _value(seconds, "newsbot_command_seconds_sum", command="start") > 0

    updates = families["newsbot_updates"]
    assert updates.type == "counter"
    assert _value(updates, "newsbot_updates_total", type="message", outcome="ok") == 1
    assert _value(updates, "newsbot_updates_total", type="message", outcome="error") == 1
    assert _value(updates, "newsbot_updates_total", type="callback_query", outcome="ok") == 1

