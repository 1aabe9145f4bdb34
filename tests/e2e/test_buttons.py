"""Button presses a modified client can make up: every one is answered, none changes data."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.emulator import BotAPIEmulator
from storage.models import Subscription

FORGED = {
    "foreign prefix": "admin:delete-everything",
    "comments id past int32": "comments:99999999999",
    "comments id not a number": "comments:abc",
    "unknown topic": "topic:no-such-topic",
    "empty topic": "topic:",
}


async def _answers(emulator: BotAPIEmulator, count: int) -> list[Any]:
    for _ in range(200):
        if len(emulator.callback_answers) >= count:
            break
        await asyncio.sleep(0.05)
    return emulator.callback_answers


@pytest.mark.parametrize("data", FORGED.values(), ids=FORGED.keys())
async def test_forged_presses_are_answered_and_change_nothing(
    emulator: BotAPIEmulator, running_bot: Any, data: str
) -> None:
    """A press whose data matches no button is answered (no spinner left running), with a
    short notice, and no subscription or other row changes."""
    async with running_bot() as bot:
        reader = emulator.user(21)
        await reader.send("/start")
        [welcome] = await emulator.wait_for_sent(21, count=1, timeout=10)
        await reader.press(welcome, data, forged=True)
        [answer] = await _answers(emulator, 1)
        assert answer.text is not None
        assert "no longer" in answer.text
        async with bot.sessions() as session:
            assert await session.scalar(select(func.count(Subscription.id))) == 0
        [picker] = emulator.sent(21)
        assert picker["reply_markup"] == welcome["reply_markup"]
