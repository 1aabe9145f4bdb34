"""The outbox under Telegram's errors: blocked chats, migrated groups, flood limits."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.emulator import BotAPIEmulator
from storage.models import Chat, Delivery
from tests.support.demo_feed import deliver_pow_explainer, feed_config
from tests.support.feedserver import FeedServer
from tests.support.users import button, follow_after_first_poll


async def _deliveries(bot: Any) -> list[Delivery]:
    async with bot.sessions() as session:
        return list((await session.scalars(select(Delivery).order_by(Delivery.id))).all())


async def test_blocked_chat_is_marked_and_skipped(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A 403 marks the chat blocked and skips its delivery; other readers still get theirs."""
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await follow_after_first_poll(bot, emulator, "Russia", 41, 42)
        emulator.faults.block(41)
        await deliver_pow_explainer(bot, feed_server)
        by_chat = {d.chat_id: d for d in await _deliveries(bot)}
        assert by_chat[41].status == "skipped"
        assert "blocked" in (by_chat[41].last_error or "")
        assert by_chat[42].status == "sent"
        async with bot.sessions() as session:
            chat = await session.get(Chat, 41)
        assert chat is not None
        assert chat.status == "blocked"


async def test_flood_wait_pauses_the_outbox_without_loss(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A 429 pauses every send for retry_after, the same message is sent again once the pause
    ends (no attempt used up), and each reader gets it once."""
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await follow_after_first_poll(bot, emulator, "Russia", 43, 45)
        emulator.faults.fail_next("sendMessage", 429, "Too Many Requests: retry after 1",
                                  parameters={"retry_after": 1})
        started = asyncio.get_running_loop().time()
        await deliver_pow_explainer(bot, feed_server)
        assert asyncio.get_running_loop().time() - started >= 1.0  # the pause was kept
        rows = await _deliveries(bot)
        assert [(d.status, d.attempts) for d in rows] == [("sent", 0), ("sent", 0)]
        for chat in (43, 45):
            assert len([m for m in emulator.sent(chat) if "POWs" in (m.get("text") or "")]) == 1
        assert bot.services.delivery.limiter.pauses == 1


async def test_migrated_group_gets_the_message_under_its_new_id(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A group upgraded to a supergroup is followed to its new id and the send succeeds."""
    admin = emulator.user(44, first_name="Admin")
    group = emulator.group(-100, "Readers' club", type="group")
    await group.add_bot(by=admin)
    group.set_member(admin, "administrator")  # only admins change a group's topics
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await bot.poll_all_feeds()
        await emulator.wait_for_sent(-100, count=1, timeout=10)  # the bot's hello
        await admin.send("/start", chat_id=-100)
        welcome = (await emulator.wait_for_sent(-100, count=2, timeout=10))[-1]
        await admin.press(welcome, button(welcome, "Russia"))
        await emulator.wait_for_calls("editMessageReplyMarkup", count=1, timeout=10)
        new_group = emulator.group(-1001234, "Readers' club", type="supergroup",
                                   bot_status="member")
        emulator.faults.migrate(-100, new_group.id)
        await deliver_pow_explainer(bot, feed_server)
        [delivery] = await _deliveries(bot)
        assert (delivery.chat_id, delivery.status) == (-1001234, "sent")
        assert any("POWs" in (m.get("text") or "") for m in emulator.sent(-1001234))
