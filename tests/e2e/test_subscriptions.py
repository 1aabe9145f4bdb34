"""/subscribe, /unsubscribe and /stop through the real Application and the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bot.emulator import BotAPIEmulator
from storage.models import Chat, Comment, Delivery, Subscription
from tests.support.demo_feed import deliver_pow_explainer, feed_config
from tests.support.feedserver import FeedServer
from tests.support.users import button, follow_after_first_poll

TOPICS = {"topics": [
    {"slug": "war-in-ukraine", "name": "War in Ukraine", "keywords": ["Ukraine"]},
    {"slug": "russia", "name": "Russia", "aliases": ["Kremlin", "Росія"]},
    {"slug": "economy", "name": "Economy", "aliases": ["Економіка", "économie"]},
]}


async def _reply(emulator: BotAPIEmulator, chat_id: int, count: int) -> dict[str, Any]:
    return (await emulator.wait_for_sent(chat_id, count=count, timeout=10))[count - 1]


async def _followed(bot: Any, chat_id: int, thread_id: int | None = None) -> set[int]:
    async with bot.sessions() as session:
        query = select(Subscription.topic_id).where(Subscription.chat_id == chat_id)
        if thread_id is not None:
            query = query.where(Subscription.thread_id == thread_id)
        return set(await session.scalars(query))


async def _answers(emulator: BotAPIEmulator, count: int) -> list[Any]:
    for _ in range(200):
        if len(emulator.callback_answers) >= count:
            break
        await asyncio.sleep(0.05)
    return emulator.callback_answers


async def test_subscribe_by_slug_name_alias_in_any_script(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Topics are found by alias (Latin and Cyrillic, any case, without accents), by a
    multi-word name, and several at once with commas or spaces; the reply says what is
    followed now."""
    async with running_bot(extra=TOPICS) as bot:
        reader = emulator.user(41)
        await reader.send("/subscribe kremlin")
        first = await _reply(emulator, 41, 1)
        assert "Now following: Russia" in first["text"]
        await reader.send("/subscribe ЕКОНОМІКА")
        assert "Now following: Economy" in (await _reply(emulator, 41, 2))["text"]
        await reader.send("/unsubscribe russia economie")
        both = (await _reply(emulator, 41, 3))["text"]
        assert "Stopped following: Russia, Economy" in both
        assert "You follow no topics here now" in both
        await reader.send("/subscribe War in Ukraine russia")
        spaced = (await _reply(emulator, 41, 4))["text"]
        assert "Now following: War in Ukraine, Russia" in spaced
        await reader.send("/subscribe war-in-ukraine, Economy")
        commas = (await _reply(emulator, 41, 5))["text"]
        assert "Now following: Economy" in commas
        assert "You follow here: Economy, Russia, War in Ukraine" in commas
        assert len(await _followed(bot, 41, 0)) == 3


async def test_unknown_topic_gets_a_suggestion_and_changes_nothing(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A misspelt topic gets "Did you mean …?"; one matching nothing gets the topic list."""
    async with running_bot(extra=TOPICS) as bot:
        reader = emulator.user(42)
        await reader.send("/subscribe ecnomy")
        reply = (await _reply(emulator, 42, 1))["text"]
        assert "No topic called “ecnomy”. Did you mean Economy?" in reply
        await reader.send("/subscribe <b>zzzzqqq</b>")
        other = (await _reply(emulator, 42, 2))["text"]
        assert "<b>zzzzqqq</b>" in other  # escaped, shown as typed
        assert "war-in-ukraine" in other
        assert await _followed(bot, 42) == set()


async def test_no_argument_shows_usage_and_topics(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/subscribe and /unsubscribe alone explain themselves and list the topics."""
    async with running_bot(extra=TOPICS):
        reader = emulator.user(43)
        await reader.send("/subscribe")
        await reader.send("/unsubscribe")
        usage, unusage = await emulator.wait_for_sent(43, count=2, timeout=10)
        assert "Usage: /subscribe <topic…>" in usage["text"]
        assert "Economy (economy)" in usage["text"]
        assert "/unsubscribe all" in unusage["text"]


async def test_unsubscribe_all(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """/unsubscribe all stops every topic of the chat."""
    async with running_bot(extra=TOPICS) as bot:
        reader = emulator.user(44)
        await reader.send("/subscribe russia, economy")
        await _reply(emulator, 44, 1)
        await reader.send("/unsubscribe all")
        reply = (await _reply(emulator, 44, 2))["text"]
        assert "Stopped following: Economy, Russia" in reply
        assert await _followed(bot, 44) == set()


async def test_subscribe_in_a_forum_thread_sets_that_threads_topics(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """In a forum, /subscribe in a thread subscribes that thread (and answers there);
    another thread keeps its own set."""
    async with running_bot(extra=TOPICS) as bot:
        desk = emulator.group(-7401, "Desk", is_forum=True, bot_status="member")
        member = emulator.user(45)
        desk.set_member(member, "administrator")  # in groups only admins change topics
        await member.send("/subscribe russia", chat_id=-7401, message_thread_id=5)
        await member.send("/subscribe economy", chat_id=-7401, message_thread_id=6)
        await emulator.wait_for_sent(-7401, count=2, timeout=10)
        in_five = [m for m in emulator.sent_messages(-7401) if m.thread_id == 5]
        assert len(in_five) == 1
        assert "You follow here: Russia." in in_five[0].text
        await member.send("/unsubscribe all", chat_id=-7401, message_thread_id=6)
        await emulator.wait_for_sent(-7401, count=3, timeout=10)
        async with bot.sessions() as session:
            rows = (await session.execute(select(Subscription.thread_id, Subscription.topic_id)
                                          .where(Subscription.chat_id == -7401))).all()
        assert [thread for thread, _ in rows] == [5]


async def test_long_emoji_and_rtl_arguments(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """5 KB of text is refused politely; emoji and right-to-left text are unknown topics,
    quoted back safely; nothing changes."""
    async with running_bot(extra=TOPICS) as bot:
        reader = emulator.user(46)
        await reader.send("/subscribe " + "russia " * 700)
        await reader.send("/subscribe 🔥🔥 שלום עולם")
        await reader.send("/unsubscribe مرحبا 👋")
        long, emoji, rtl = await emulator.wait_for_sent(46, count=3, timeout=10)
        assert "That is too long" in long["text"]
        assert "No topic called “🔥🔥”" in emoji["text"]
        assert "שלום" in emoji["text"]
        assert "مرحبا" in rtl["text"]
        assert await _followed(bot, 46) == set()


async def test_stop_then_nothing_is_pushed_and_start_works_again(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """/stop unsubscribes everything and marks the chat stopped: the next explainer reaches
    the other follower only. /start later makes the chat active again."""
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await follow_after_first_poll(bot, emulator, "Russia", 51, 52)
        await emulator.user(51).send("/stop")
        stopped = (await emulator.wait_for_sent(51, count=2, timeout=10))[-1]
        assert "Stopped: nothing more will be sent here (unfollowed 1 topic)" in stopped["text"]
        assert button(stopped, "Delete my data")
        await deliver_pow_explainer(bot, feed_server)
        assert not [m for m in emulator.sent(51) if "POWs" in (m.get("text") or "")]
        assert [m for m in emulator.sent(52) if "POWs" in (m.get("text") or "")]
        await emulator.user(51).send("/start")
        await emulator.wait_for_sent(51, count=3, timeout=10)
        async with bot.sessions() as session:
            chat = await session.get(Chat, 51)
            assert chat is not None
            assert chat.status == "active"
            assert await session.scalar(select(func.count(Delivery.id))
                                        .where(Delivery.chat_id == 51)) == 0


async def test_delete_my_data_forgets_the_chat(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """The confirmation deletes subscriptions, settings and delivery history (the chat row),
    anonymises the chat's comments and edits the /stop message in place; others keep theirs."""
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await follow_after_first_poll(bot, emulator, "Russia", 53, 54)
        before = len(emulator.sent(53))
        await emulator.user(53).send("/settings timezone Europe/Kyiv")
        await emulator.wait_for_sent(53, count=before + 1, timeout=10)
        await deliver_pow_explainer(bot, feed_server)
        pushed = next(m for m in emulator.sent(53) if "POWs" in (m.get("text") or ""))
        count = len(emulator.sent(53))
        await emulator.user(53).send("Exchange them", reply_to=pushed["message_id"])
        await emulator.wait_for_sent(53, count=count + 1, timeout=10)
        await emulator.user(53).send("/stop")
        stopped = (await emulator.wait_for_sent(53, count=count + 2, timeout=10))[-1]
        pressed = len(emulator.callback_answers)
        await emulator.user(53).press(stopped, button(stopped, "Delete my data"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        assert (await _answers(emulator, pressed + 1))[-1].text == "Deleted."
        edited = next(m for m in emulator.sent(53) if m["message_id"] == stopped["message_id"])
        assert "Your data is deleted" in edited["text"]
        async with bot.sessions() as session:
            assert await session.get(Chat, 53) is None
            assert await session.scalar(select(func.count(Delivery.id))
                                        .where(Delivery.chat_id == 53)) == 0
            assert await session.scalar(select(func.count(Subscription.id))
                                        .where(Subscription.chat_id == 53)) == 0
            [comment] = (await session.scalars(select(Comment))).all()
            assert (comment.author, comment.user_id, comment.text) == (
                "Reader", None, "Exchange them")
            assert await session.scalar(select(func.count(Delivery.id))
                                        .where(Delivery.chat_id == 54)) == 1
        await emulator.user(53).press(edited, "forget:53", forged=True)  # pressed again
        assert (await _answers(emulator, pressed + 2))[-1].text.startswith("Nothing to delete")


async def test_forged_or_stale_confirmation_changes_nothing(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A "Delete my data" press naming another chat, or one from before /start, is answered
    and deletes nothing."""
    async with running_bot(extra=TOPICS) as bot:
        for user_id in (61, 62):
            await emulator.user(user_id).send("/subscribe russia")
            await _reply(emulator, user_id, 1)
            await emulator.user(user_id).send("/stop")
        stop_61 = await _reply(emulator, 61, 2)
        stop_62 = await _reply(emulator, 62, 2)
        await emulator.user(62).press(stop_62, "forget:61", forged=True)
        await emulator.user(62).press(stop_62, "forget:-1001", forged=True)
        await emulator.user(61).send("/start")
        await _reply(emulator, 61, 3)
        await emulator.user(61).press(stop_61, button(stop_61, "Delete my data"))  # stale
        answers = await _answers(emulator, 3)
        assert all(a.text.startswith("Nothing to delete") for a in answers)
        async with bot.sessions() as session:
            assert (await session.get(Chat, 61)) is not None
            assert (await session.get(Chat, 62)) is not None
        assert not emulator.calls("editMessageText")


async def test_stop_from_an_unknown_chat_offers_no_deletion(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/stop before anything was stored says it is stopped, with no button and no row."""
    async with running_bot() as bot:
        await emulator.user(63).send("/stop")
        [reply] = await emulator.wait_for_sent(63, count=1, timeout=10)
        assert reply["text"].startswith("Stopped: nothing more will be sent here.")
        assert "reply_markup" not in reply
        async with bot.sessions() as session:
            assert await session.get(Chat, 63) is None
