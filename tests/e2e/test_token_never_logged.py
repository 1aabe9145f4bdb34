"""The bot token appears in no log line, even at DEBUG with PTB and aiohttp logging."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.emulator import BotAPIEmulator
from bot.log import install_masking
from tests.support.factories import TEST_TOKEN


async def test_debug_logging_never_contains_token(
    emulator: BotAPIEmulator, running_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Through start, /start, /help, an API error and stop, no record contains the token."""
    install_masking()
    secret_part = TEST_TOKEN.split(":", 1)[1]
    with caplog.at_level(logging.DEBUG):
        async with running_bot():
            reader = emulator.user(2002, first_name="Ivan")
            await reader.send("/start")
            await reader.send("/help")
            await emulator.wait_for_sent(2002, count=2, timeout=10)
            emulator.faults.block(2002)
            await reader.send("/help")  # the reply fails with 403 and is logged
            for _ in range(100):
                if any(r.levelno >= logging.ERROR for r in caplog.records):
                    break
                await asyncio.sleep(0.05)
    assert any(r.levelno >= logging.ERROR for r in caplog.records), "the 403 was not logged"
    assert len(caplog.records) > 20  # DEBUG really was on: PTB logs every request
    assert any("getUpdates" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        line = logging.Formatter("%(name)s %(message)s").format(record)
        assert TEST_TOKEN not in line, line
        assert secret_part not in line, line
