"""A reader's first contact: /start through the real PTB Application in polling mode."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.emulator import BotAPIEmulator
from storage.models import Chat


async def test_start_replies_and_registers_chat(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/start gets a welcome with the topic picker, and the chat is stored as active."""
    async with running_bot() as bot:
        reader = emulator.user(1001, first_name="Olena", language_code="uk")
        await reader.send("/start")
        [reply] = await emulator.wait_for_sent(1001, count=1, timeout=10)
        assert "Olena" in reply["text"]
        buttons = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
        assert {b["text"].lstrip("☐✅ ").strip() for b in buttons} >= {"War in Ukraine", "Russia"}
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
        invite = "https://t.me/newsbot_demo_bot?startgroup=join"  # add the bot to a group
        assert any(e.get("url") == invite for e in reply["entities"])
        async with bot.sessions() as session:
            chat = await session.scalar(select(Chat).where(Chat.id == 1001))
        assert chat is not None
        assert (chat.type, chat.status, chat.language) == ("private", "active", "uk")


async def test_commands_registered_with_telegram(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """On start the bot publishes its command list with setMyCommands."""
    async with running_bot():
        calls = [r for r in emulator.requests if r.method == "setMyCommands"]
        assert calls
        assert any(r.response["ok"] for r in calls)


async def test_ukrainian_reader_is_greeted_in_ukrainian(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A reader whose Telegram language is uk is greeted in Ukrainian, and the chat keeps
    Ukrainian as its interface language; an English reader's greeting stays English."""
    async with running_bot() as bot:
        await emulator.user(1002, first_name="Олена", language_code="uk-UA").send("/start")
        await emulator.user(1003, first_name="Sam", language_code="en").send("/start")
        [uk] = await emulator.wait_for_sent(1002, count=1, timeout=10)
        [en] = await emulator.wait_for_sent(1003, count=1, timeout=10)
        assert "Вітаємо, " in uk["text"]
        assert "Олена" in uk["text"]
        assert "Hello, " in en["text"]
        assert "Sam" in en["text"]
        async with bot.sessions() as session:
            settings = await session.scalar(select(Chat.settings).where(Chat.id == 1002))
        assert settings["interface_language"] == "uk"
