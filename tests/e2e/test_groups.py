"""Groups and forums: only admins change topics (anonymous admins too), commands for other
bots are ignored, replies quote the asker, and a hello when the bot is added."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from sqlalchemy import select

from bot.emulator import BotAPIEmulator
from bot.emulator.client import detect_entities
from storage.models import Subscription
from tests.support.users import button

BOT_USERNAME = "newsbot_demo_bot"  # the emulator's default getMe
ONLY_ADMINS = "Only the group's admins can change this."
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                   "username": "GroupAnonymousBot"}


async def anonymous_admin_says(emulator: BotAPIEmulator, chat_id: int, text: str) -> None:
    """An anonymous admin writes: from GroupAnonymousBot, ``sender_chat`` the group itself."""
    state = emulator.state
    chat = state.chats[chat_id]
    message = state.new_message(chat, ANONYMOUS_ADMIN, {
        "sender_chat": copy.deepcopy(chat.chat), "text": text,
        "entities": detect_entities(text)})
    state.store_message(chat, message, from_bot=False)
    state.push_update("message", message)
    await asyncio.sleep(0)


async def subscriptions(bot: Any, chat_id: int) -> list[tuple[int, int]]:
    """(topic id, thread id) of the chat's subscriptions."""
    async with bot.sessions() as session:
        rows = await session.execute(select(Subscription.topic_id, Subscription.thread_id)
                                     .where(Subscription.chat_id == chat_id))
        return sorted((topic_id, thread_id) for topic_id, thread_id in rows)


async def _group_with_picker(emulator: BotAPIEmulator, chat_id: int, **kwargs: Any
                             ) -> tuple[Any, Any, Any, dict[str, Any]]:
    admin, member = emulator.user(chat_id * -10 + 1, "Ada"), emulator.user(
        chat_id * -10 + 2, "Max")
    group = emulator.group(chat_id, "Readers' club", **kwargs)
    await group.add_bot(by=admin)
    group.set_member(admin, "administrator")
    group.set_member(member, "member")
    await emulator.wait_for_sent(chat_id, count=1, timeout=10)  # the hello
    await admin.send("/topics", chat_id=chat_id)
    sent = await emulator.wait_for_sent(chat_id, count=2, timeout=10)
    return group, admin, member, sent[-1]


async def test_hello_when_added_to_a_group(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """Being added to a group: one short hello saying admins pick topics with /topics."""
    admin = emulator.user(701, "Ada")
    group = emulator.group(-7001, "Readers' club")
    async with running_bot():
        await group.add_bot(by=admin)
        [hello] = await emulator.wait_for_sent(-7001, count=1, timeout=10)
        assert "/topics" in hello["text"]
        await asyncio.sleep(0.3)
        assert len(emulator.sent(-7001)) == 1


async def test_only_admins_change_a_groups_topics(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """An admin's press follows the topic; a member's press (real or forged) gets one toast
    and changes nothing; a member's /topics gets the same short reply, quoting them."""
    async with running_bot() as bot:
        _group, admin, member, picker = await _group_with_picker(emulator, -7002)
        await admin.press(picker, button(picker, "War in Ukraine"))
        await emulator.wait_for_calls("editMessageReplyMarkup", count=1, timeout=10)
        assert len(await subscriptions(bot, -7002)) == 1
        answers = len(emulator.callback_answers)
        await member.press(picker, button(picker, "War in Ukraine"))
        await member.press(picker, "topic:russia", forged=True)
        for _ in range(100):
            if len(emulator.callback_answers) >= answers + 2:
                break
            await asyncio.sleep(0.05)
        assert [a.text for a in emulator.callback_answers[answers:]] == [ONLY_ADMINS] * 2
        assert len(emulator.calls("editMessageReplyMarkup")) == 1
        assert len(await subscriptions(bot, -7002)) == 1
        asked = await member.send("/topics", chat_id=-7002)
        sent = await emulator.wait_for_sent(-7002, count=3, timeout=10)
        assert sent[-1]["text"] == ONLY_ADMINS
        assert sent[-1]["reply_to_message"]["message_id"] == asked["message_id"]


async def test_anonymous_admin_opens_the_picker(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A message the group sends itself (an anonymous admin) counts as an admin's."""
    admin = emulator.user(731, "Ada")
    group = emulator.group(-7003, "Readers' club")
    async with running_bot():
        await group.add_bot(by=admin)
        await emulator.wait_for_sent(-7003, count=1, timeout=10)
        await anonymous_admin_says(emulator, -7003, "/topics")
        sent = await emulator.wait_for_sent(-7003, count=2, timeout=10)
        assert "reply_markup" in sent[-1]
        assert not emulator.calls("getChatMember")


async def test_forum_thread_picker_sets_that_threads_topics(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """In a forum thread the admin's picker sets that thread's topics; a member's press there
    changes nothing."""
    async with running_bot() as bot:
        group, admin, member, _ = await _group_with_picker(emulator, -7004, is_forum=True)
        thread = group.create_topic("News", by=admin)
        await admin.send("/topics", chat_id=-7004, message_thread_id=thread)
        sent = await emulator.wait_for_sent(-7004, count=3, timeout=10)
        picker = sent[-1]
        assert picker["message_thread_id"] == thread
        await member.press(picker, button(picker, "War in Ukraine"))
        await admin.press(picker, button(picker, "War in Ukraine"))
        await emulator.wait_for_calls("editMessageReplyMarkup", count=1, timeout=10)
        assert [thread_id for _, thread_id in await subscriptions(bot, -7004)] == [thread]
        assert ONLY_ADMINS in [a.text for a in emulator.callback_answers]


async def test_commands_for_other_bots_are_ignored(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/latest@otherbot is not for us; /latest@ourbot is, and its answer quotes the asker."""
    async with running_bot():
        _group, admin, _member, _ = await _group_with_picker(emulator, -7005)
        await admin.send("/latest@other_news_bot", chat_id=-7005)
        await admin.send("/search@other_news_bot war", chat_id=-7005)
        asked = await admin.send(f"/latest@{BOT_USERNAME}", chat_id=-7005)
        sent = await emulator.wait_for_sent(-7005, count=3, timeout=10)
        await asyncio.sleep(0.3)
        assert len(emulator.sent(-7005)) == 3
        assert sent[-1]["reply_to_message"]["message_id"] == asked["message_id"]
        searched = await admin.send(f"/search@{BOT_USERNAME} war", chat_id=-7005)
        sent = await emulator.wait_for_sent(-7005, count=4, timeout=10)
        assert sent[-1]["reply_to_message"]["message_id"] == searched["message_id"]


async def test_help_in_a_group_replies_to_the_asker_with_the_groups_commands(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/help in a group replies to the member who asked and leaves out the commands that
    only work in a private chat (/connect, /channels); in a private chat they are listed."""
    async with running_bot():
        _group, _admin, member, _picker = await _group_with_picker(emulator, -7301)
        asked = await member.send("/help", chat_id=-7301)
        reply = (await emulator.wait_for_sent(-7301, count=3, timeout=10))[-1]
        assert reply["reply_to_message"]["message_id"] == asked["message_id"]
        assert "/latest" in reply["text"]
        assert "/connect" not in reply["text"]
        assert "/channels" not in reply["text"]
        await member.send("/help")
        [private] = await emulator.wait_for_sent(member.id, count=1, timeout=10)
        assert "/connect" in private["text"]
        assert "/channels" in private["text"]


async def test_added_through_the_start_group_link_greets_the_group(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """The "Add me to a group" link makes Telegram send "/start join" in the new group: the
    group is greeted with its picker, not told that "join" is an unknown topic."""
    async with running_bot():
        admin = emulator.user(7401, "Ada")
        group = emulator.group(-7401, "Readers' club")
        await group.add_bot(by=admin)
        group.set_member(admin, "administrator")
        await emulator.wait_for_sent(-7401, count=1, timeout=10)  # the hello
        await admin.send(f"/start@{BOT_USERNAME} join", chat_id=-7401)
        greeting = (await emulator.wait_for_sent(-7401, count=2, timeout=10))[-1]
        assert "Readers' club" in greeting["text"]
        assert "join" not in greeting["text"]
        assert "startgroup" not in str(greeting.get("entities"))  # no invite inside a group
