"""Onboarding end to end: /start (private and group), the picker's "All topics" and "Done",
deep links, /help, unknown input, flood protection, the command menus and forged picker
presses; through the emulator on both databases."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.emulator import BotAPIEmulator
from storage.models import Subscription
from tests.support.demo_feed import deliver_pow_explainer, feed_config
from tests.support.feedserver import FeedServer
from tests.support.users import button, follow_after_first_poll

WEBSITE = {"publisher": {"name": "Kyiv Explainers", "website": "https://news.example.org/"}}


def _buttons(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def _current(emulator: BotAPIEmulator, chat_id: int, message_id: int) -> dict[str, Any]:
    return next(m for m in emulator.sent(chat_id) if m["message_id"] == message_id)


async def _subscriptions(bot: Any) -> int:
    async with bot.sessions() as session:
        return int(await session.scalar(select(func.count(Subscription.id))) or 0)


async def _quiet(seconds: float = 0.6) -> None:
    await asyncio.sleep(seconds)


async def test_start_private_all_topics_then_done(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """The greeting names the reader, says what the bot does, links the website and shows the
    picker with "All topics" and "Done"; "All topics" follows both, "Done" leaves a summary."""
    async with running_bot(extra=WEBSITE) as bot:
        reader = emulator.user(501, first_name="Olena")
        await reader.send("/start")
        [welcome] = await emulator.wait_for_sent(501, count=1, timeout=10)
        assert "Hello, Olena!" in welcome["text"]
        assert "explainers" in welcome["text"]
        assert any(e.get("url") == "https://news.example.org/" for e in welcome["entities"])
        assert _buttons(welcome)[-2:] == ["All topics", "Done"]
        assert "☐ Russia" in _buttons(welcome)
        await reader.press(welcome, button(welcome, "All topics"))
        await emulator.wait_for_calls("editMessageReplyMarkup", count=1, timeout=10)
        picker = _current(emulator, 501, welcome["message_id"])
        assert {"✅ Russia", "✅ War in Ukraine"} <= set(_buttons(picker))
        assert await _subscriptions(bot) == 2
        await reader.press(picker, button(picker, "Done"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        done = _current(emulator, 501, welcome["message_id"])
        assert "reply_markup" not in done or not _buttons(done)
        text = done["text"]
        assert "War in Ukraine" in text
        assert "Russia" in text
        assert "as soon as they are published" in text
        assert "/topics" in text
        assert "/settings" in text
        assert "/stop" in text
        assert "\n" not in text  # one line
        assert all(a.text is None or "no longer" not in a.text for a in emulator.callback_answers)


async def test_done_summarises_a_digest_schedule(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """"Done" reads the chat's schedule: a digest at its times, in its time zone."""
    async with running_bot() as bot:
        reader = emulator.user(502)
        await reader.send("/start")
        [welcome] = await emulator.wait_for_sent(502, count=1, timeout=10)
        await bot.services.readers.set_delivery_schedule(
            502, mode="digest", digest_times=["08:00", "18:30"], timezone="Europe/Kyiv")
        await reader.press(welcome, button(welcome, "Russia"))
        await emulator.wait_for_calls("editMessageReplyMarkup", count=1, timeout=10)
        await reader.press(welcome, button(welcome, "Done"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        text = _current(emulator, 502, welcome["message_id"])["text"]
        assert "Russia" in text
        assert "War in Ukraine" not in text
        assert "digest at 08:00, 18:30 (Europe/Kyiv)" in text


async def test_done_with_no_topics_says_nothing_arrives(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    async with running_bot():
        reader = emulator.user(503)
        await reader.send("/start")
        [welcome] = await emulator.wait_for_sent(503, count=1, timeout=10)
        await reader.press(welcome, button(welcome, "Done"))
        await emulator.wait_for_calls("editMessageText", count=1, timeout=10)
        text = _current(emulator, 503, welcome["message_id"])["text"]
        assert "nothing will arrive" in text
        assert "/topics" in text


async def test_start_in_a_group_greets_the_group(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """In a group /start greets the group by its title, not the member who sent it."""
    async with running_bot():
        admin = emulator.user(504, first_name="Sam")
        group = emulator.group(-504, "Newsroom fans")
        await group.add_bot(by=admin)
        await emulator.wait_for_sent(-504, count=1, timeout=10)  # the hello on joining
        before = len(emulator.sent(-504))
        await admin.send("/start", chat_id=-504)
        sent = await emulator.wait_for_sent(-504, count=before + 1, timeout=10)
        welcome = sent[-1]
        assert "Hello, Newsroom fans!" in welcome["text"]
        assert "Sam" not in welcome["text"]
        assert _buttons(welcome)[-2:] == ["All topics", "Done"]


async def test_deep_link_follows_the_topic(emulator: BotAPIEmulator, running_bot: Any) -> None:
    """t.me/<bot>?start=russia arrives as "/start russia": Russia is followed, and said so."""
    async with running_bot() as bot:
        reader = emulator.user(505)
        await reader.send("/start russia")
        [welcome] = await emulator.wait_for_sent(505, count=1, timeout=10)
        assert welcome["text"].startswith("✅ You now follow Russia.")
        assert "✅ Russia" in _buttons(welcome)
        assert await _subscriptions(bot) == 1
        await reader.send("/start russia")  # again: still followed, not toggled off
        await emulator.wait_for_sent(505, count=2, timeout=10)
        assert await _subscriptions(bot) == 1


async def test_deep_link_to_an_unknown_topic(emulator: BotAPIEmulator, running_bot: Any) -> None:
    async with running_bot() as bot:
        reader = emulator.user(506, first_name="Ann")
        await reader.send("/start no-such_topic")
        [welcome] = await emulator.wait_for_sent(506, count=1, timeout=10)
        assert "I don't know the topic no-such_topic" in welcome["text"]
        assert "Hello, Ann!" in welcome["text"]
        assert await _subscriptions(bot) == 0


async def test_help_lists_commands_stop_and_website(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    async with running_bot(extra=WEBSITE):
        reader = emulator.user(507)
        await reader.send("/help")
        [reply] = await emulator.wait_for_sent(507, count=1, timeout=10)
        text = reply["text"]
        for command in ("/start", "/topics", "/latest", "/topic", "/search", "/help"):
            assert f"{command} — " in text
        assert "/stop" in text
        assert "https://news.example.org/" in text


async def test_private_unknown_command_and_free_text(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """An unknown command and free text get a short pointer; 5 KB, emoji and RTL text too."""
    async with running_bot():
        reader = emulator.user(508)
        await reader.send("/foo bar")
        [unknown] = await emulator.wait_for_sent(508, count=1, timeout=10)
        assert unknown["text"] == "I don't know /foo — try /help."
        await reader.send("what's new about grain?")
        hint = (await emulator.wait_for_sent(508, count=2, timeout=10))[-1]
        assert "/latest" in hint["text"]
        assert "/search" in hint["text"]
        assert "/topics" in hint["text"]
        for text in ("x" * 5000, "🇺🇦🔥 <b>&amp;", "مرحبا بالعالم"):
            await reader.send(text)
        await emulator.wait_for_sent(508, count=5, timeout=10)
        await reader.send("/start@some_other_bot")  # for another bot: ignored
        await reader.send("/help")
        sent = await emulator.wait_for_sent(508, count=6, timeout=10)
        await _quiet(0.3)
        assert len(emulator.sent(508)) == 6
        assert "/start — " in sent[-1]["text"]


async def test_group_unknown_input_gets_silence(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    async with running_bot():
        member = emulator.user(509)
        group = emulator.group(-509, "Chatty group")
        await group.add_bot(by=member)
        await _quiet(0.3)
        before = len(emulator.sent(-509))
        await member.send("/foo", chat_id=-509)
        await member.send("hello everyone", chat_id=-509)
        await member.send("/help", chat_id=-509)
        sent = await emulator.wait_for_sent(-509, count=before + 1, timeout=10)
        await _quiet(0.3)
        assert len(emulator.sent(-509)) == before + 1
        assert "/start — " in sent[-1]["text"]


async def test_replies_to_the_bot_stay_comments(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Free text that replies to a bot message goes to the comments handler, not the hint."""
    async with running_bot():
        reader = emulator.user(510)
        await reader.send("/help")
        [help_message] = await emulator.wait_for_sent(510, count=1, timeout=10)
        await reader.send("nice", reply_to=help_message["message_id"])
        reply = (await emulator.wait_for_sent(510, count=2, timeout=10))[-1]
        assert "reply to one of the explainers" in reply["text"]
        await _quiet(0.3)
        assert len(emulator.sent(510)) == 2


@pytest.mark.parametrize("where", ["private", "group"])
async def test_flood_gets_one_slow_down_then_silence(
    emulator: BotAPIEmulator, running_bot: Any, where: str
) -> None:
    """Past telegram.commands_per_minute one polite notice, then nothing for that minute;
    other users are not affected."""
    async with running_bot(extra={"telegram": {"commands_per_minute": 3}}):
        user = emulator.user(511)
        chat_id = 511
        if where == "group":
            chat_id = -511
            await emulator.group(-511, "Busy group").add_bot(by=user)
            await _quiet(0.3)
        before = len(emulator.sent(chat_id))
        for _ in range(7):
            await user.send("/help", chat_id=None if where == "private" else chat_id)
        sent = await emulator.wait_for_sent(chat_id, count=before + 4, timeout=10)
        await _quiet(0.5)
        sent = emulator.sent(chat_id)[before:]
        assert len(sent) == 4
        assert [m["text"] for m in sent].count("Slow down a little — try again in a minute.") == 1
        assert sent[3]["text"] == "Slow down a little — try again in a minute."
        other = emulator.user(512)
        await other.send("/help")
        await emulator.wait_for_sent(512, count=1, timeout=10)


async def test_command_menus_per_scope_and_language(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """setMyCommands for the default scope and all group chats, each in English and "uk"."""
    async with running_bot():
        menus = {(json.loads(scope)["type"], language): [c["command"] for c in commands]
                 for (scope, language), commands in emulator.state.commands.items()}
        descriptions = {(json.loads(scope)["type"], language): {
            c["command"]: c["description"] for c in commands}
            for (scope, language), commands in emulator.state.commands.items()}
    assert set(menus) == {("default", ""), ("default", "uk"),
                          ("all_group_chats", ""), ("all_group_chats", "uk")}
    assert "start" in menus[("all_group_chats", "")]
    assert descriptions[("default", "")]["start"] == "Welcome and pick your topics"
    assert descriptions[("default", "uk")]["start"] == "Вітання і вибір тем"
    assert descriptions[("all_group_chats", "uk")]["latest"] == "Найновіші пояснення, коротко"
    assert menus[("default", "uk")] == menus[("default", "")]
    assert menus[("all_group_chats", "uk")] == menus[("all_group_chats", "")]
    for scope in ("default", "all_group_chats"):  # the uk menus are Ukrainian throughout
        for command, text in descriptions[(scope, "uk")].items():
            assert re.search("[а-яіїєґ]", text), (command, text)
            assert text != descriptions[(scope, "")][command]


async def test_forged_topic_press_on_an_explainer_changes_nothing(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A made-up picker press on a pushed explainer is answered and leaves its Read/Comments
    buttons and the subscriptions alone."""
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await follow_after_first_poll(bot, emulator, "Russia", 513)
        await deliver_pow_explainer(bot, feed_server)
        pushed = emulator.sent(513)[-1]
        assert "POWs" in pushed["text"]
        edits = len(emulator.calls("editMessageReplyMarkup")) + len(
            emulator.calls("editMessageText"))
        answers = len(emulator.callback_answers)
        reader = emulator.user(513)
        for data in ("topic:war-in-ukraine", "topic:russia", "pick-all", "pick-done"):
            await reader.press(pushed, data, forged=True)
        for _ in range(200):
            if len(emulator.callback_answers) >= answers + 4:
                break
            await asyncio.sleep(0.05)
        assert len(emulator.callback_answers) == answers + 4
        assert len(emulator.calls("editMessageReplyMarkup")) + len(
            emulator.calls("editMessageText")) == edits
        assert _current(emulator, 513, pushed["message_id"])["reply_markup"] == \
            pushed["reply_markup"]
        assert await _subscriptions(bot) == 1


async def test_stale_picker_logs_no_error(
    emulator: BotAPIEmulator, running_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Two pickers: following on one, then pressing the same topic on the stale other leaves
    a keyboard equal to the one shown ("not modified"): no ERROR is logged."""
    async with running_bot():
        reader = emulator.user(514)
        await reader.send("/start")
        await reader.send("/topics")
        first, second = await emulator.wait_for_sent(514, count=2, timeout=10)
        with caplog.at_level(logging.WARNING):
            await reader.press(first, button(first, "Russia"))
            await emulator.wait_for_calls("editMessageReplyMarkup", count=1, timeout=10)
            await reader.press(second, button(second, "Russia"))  # unfollows: ☐ as shown
            for _ in range(200):
                if len(emulator.callback_answers) >= 2:
                    break
                await asyncio.sleep(0.05)
            await _quiet(0.3)
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
        assert emulator.callback_answers[-1].text == "Stopped following Russia"
        assert any("not modified" in (r.description or "")
                   for r in emulator.calls("editMessageReplyMarkup"))


async def test_unknown_and_malformed_picker_data_are_answered(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    async with running_bot() as bot:
        reader = emulator.user(515)
        await reader.send("/start")
        [welcome] = await emulator.wait_for_sent(515, count=1, timeout=10)
        for data in ("pick-done:1", "pick-all:x", "nonsense", "topic"):
            await reader.press(welcome, data, forged=True)
        for _ in range(200):
            if len(emulator.callback_answers) >= 4:
                break
            await asyncio.sleep(0.05)
        assert len(emulator.callback_answers) == 4
        assert _current(emulator, 515, welcome["message_id"])["reply_markup"] == \
            welcome["reply_markup"]
        assert await _subscriptions(bot) == 0
