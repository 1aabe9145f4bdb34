"""Our aiohttp transport under PTB: real HTTP to the emulator, errors mapped, token masked."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.emulator import BotAPIEmulator
from bot.transport import AiohttpRequest
from tests.support.factories import TEST_TOKEN


def make_bot(base_url: str, **transport: float) -> Bot:
    """A PTB Bot whose API calls and getUpdates both go through AiohttpRequest."""
    return Bot(TEST_TOKEN, base_url=base_url, request=AiohttpRequest(**transport),
               get_updates_request=AiohttpRequest(**transport))


async def test_calls_and_errors_round_trip() -> None:
    """getMe, sendMessage and Telegram's error answers map to PTB's results and exceptions."""
    async with BotAPIEmulator(tokens=(TEST_TOKEN,)) as emulator:
        emulator.user(70)
        async with make_bot(emulator.base_url) as bot:
            assert (await bot.get_me()).username == "newsbot_demo_bot"
            sent = await bot.send_message(70, "<b>hello</b> 👋", parse_mode="HTML")
            assert sent.entities[0].type == "bold"
            with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
                await bot.send_message(70, "<p>nope</p>", parse_mode="HTML")
            emulator.faults.fail_next("sendMessage", 429, "Too Many Requests: retry after 3",
                                      parameters={"retry_after": 3})
            with pytest.raises(RetryAfter):
                await bot.send_message(70, "again")


async def test_slow_answer_times_out() -> None:
    """A server slower than read_timeout gives TimedOut, not a hang."""
    async with BotAPIEmulator(tokens=(TEST_TOKEN,)) as emulator:
        emulator.user(71)
        async with make_bot(emulator.base_url, read_timeout=0.3) as bot:
            emulator.faults.set_random_faults(slow_rate=1.0, slow_seconds=2.0, seed=1)
            with pytest.raises(TimedOut):
                await bot.send_message(71, "slow")


async def test_connection_refused_error_hides_the_token() -> None:
    """A refused connection is a NetworkError whose message does not contain the token."""
    request = AiohttpRequest(connect_timeout=1.0)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as info:
            await request.do_request(f"http://127.0.0.1:9/bot{TEST_TOKEN}/getMe", "POST")
    finally:
        await request.shutdown()
    assert TEST_TOKEN not in str(info.value)
    assert TEST_TOKEN.split(":")[1] not in str(info.value)


async def test_shutdown_is_idempotent_and_blocks_use() -> None:
    """After shutdown the transport refuses requests; shutting down twice is harmless."""
    request = AiohttpRequest()
    await request.initialize()
    await request.shutdown()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")
