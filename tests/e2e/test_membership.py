"""The bot's own membership updates keep chat status true."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.emulator import BotAPIEmulator
from storage.models import Chat


async def _wait_status(bot: Any, chat_id: int, wanted: str) -> str | None:
    """The chat's status once it equals ``wanted`` (or the last seen after ~5 s)."""
    status = None
    for _ in range(100):
        async with bot.sessions() as session:
            chat = await session.get(Chat, chat_id)
        status = chat.status if chat is not None else None
        if status == wanted:
            break
        await asyncio.sleep(0.05)
    return status


async def test_added_and_removed_from_group(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """Being added makes the group an active chat; being removed marks it left."""
    admin = emulator.user(61, first_name="Admin")
    group = emulator.group(-600, "Newsroom fans", type="supergroup")
    async with running_bot() as bot:
        await group.add_bot(by=admin)
        assert await _wait_status(bot, -600, "active") == "active"
        await group.remove_bot(by=admin)
        assert await _wait_status(bot, -600, "left") == "left"


async def test_reader_blocking_the_bot_marks_chat_blocked(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A reader who blocks the bot is marked blocked; /start again reactivates."""
    reader = emulator.user(62)
    async with running_bot() as bot:
        await reader.send("/start")
        await emulator.wait_for_sent(62, count=1, timeout=10)
        await reader.block_bot()
        assert await _wait_status(bot, 62, "blocked") == "blocked"
        await reader.unblock_bot()
        await reader.send("/start")
        assert await _wait_status(bot, 62, "active") == "active"
