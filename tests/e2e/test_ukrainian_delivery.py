"""What the bot sends on its own speaks each destination chat's interface language: pushes,
coalesced lists (with Ukrainian plurals), digests, corrections, pause notices, admin notices,
the hello in a group a Ukrainian speaker added and the offer to a channel's admin — the real
bot against the Bot API emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update

from bot.domain import ChatInfo
from bot.emulator import BotAPIEmulator
from bot.emulator.html import parse_html
from bot.i18n import use_language
from bot.render import render_channel_offer, render_group_hello
from storage import chat_settings
from storage.models import Article
from tests.support.factories import TEST_TOKEN
from tests.support.outbox import (
    Destination,
    add_chats,
    add_topics,
    drain_until_empty,
    make_due,
    publish,
    status_counts,
    subscribe_in_db,
)

ADMIN = 9999
UK = {"interface_language": "uk"}
FAST = {"rate_per_second": 1000, "private_chat_interval": 0, "group_chat_interval": 0,
        "concurrency": 16}


@pytest.fixture
async def emulator() -> AsyncIterator[BotAPIEmulator]:
    """A Bot API emulator that knows every private chat it is asked about."""
    async with BotAPIEmulator(tokens=(TEST_TOKEN,), auto_create_chats=True) as emu:
        yield emu


def _buttons(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _one_with(emulator: BotAPIEmulator, chat_id: int, words: str) -> dict[str, Any]:
    [message] = [m for m in emulator.sent(chat_id) if words in _text(m)]
    return message


async def _readers(bot: Any, topic_ids: list[int], *, uk: list[int], en: list[int]) -> None:
    """Private chats in Ukrainian and in English, each following ``topic_ids``."""
    await add_chats(bot.sessions, [(chat_id, "private") for chat_id in uk], settings=UK)
    await add_chats(bot.sessions, [(chat_id, "private") for chat_id in en])
    await subscribe_in_db(bot.sessions, [(Destination(chat_id), topic_ids)
                                         for chat_id in (*uk, *en)])


async def test_one_push_reaches_each_reader_in_their_language(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A Ukrainian reader who started the bot with a Ukrainian Telegram and an English
    reader following the same topic get the same explainer, each with the buttons in their
    language; the explainers that follow come as one list headed in their language."""
    ukrainian = emulator.user(81, "Оксана", language_code="uk")
    english = emulator.user(82, "Ann", language_code="en")
    async with running_bot(extra={"delivery": FAST}) as bot:
        for user, chat_id in ((ukrainian, 81), (english, 82)):
            await user.send("/start")
            await emulator.wait_for_sent(chat_id, count=1, timeout=10)
        [topic] = await add_topics(bot.sessions, "alpha")
        await subscribe_in_db(bot.sessions, [(Destination(81), [topic]),
                                             (Destination(82), [topic])])
        await publish(bot.sessions, "Same story", [topic])
        await bot.drain_outbox()
        uk_push, en_push = _one_with(emulator, 81, "Same story"), _one_with(emulator, 82,
                                                                            "Same story")
        assert _buttons(uk_push) == ["Читати", "💬 Коментарі", "✍️ Коментувати"]
        assert _buttons(en_push) == ["Read", "💬 Comments", "✍️ Comment"]
        assert _text(uk_push) == _text(en_push)  # the explainer itself is the publisher's

        for n in range(3):  # within the coalescing window: one list when it ends
            await publish(bot.sessions, f"Story {n}", [topic])
        await drain_until_empty(bot)
    assert _text(_one_with(emulator, 81, "Story 0")).startswith("📰 3 нові пояснення")
    assert _text(_one_with(emulator, 82, "Story 0")).startswith("📰 3 new explainers")


async def test_coalesced_lists_use_the_three_ukrainian_plural_forms(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Lists of 2, 5 and 21 explainers are headed "2 нові пояснення", "5 нових пояснень",
    "21 нове пояснення"; past the per-push cap the rest are counted ("…і ще 11 пояснень")."""
    async with running_bot(extra={"delivery": FAST}) as bot:
        two, five, many = await add_topics(bot.sessions, "two", "five", "many")
        await _readers(bot, [two], uk=[91], en=[])
        await _readers(bot, [five], uk=[92], en=[95])
        await _readers(bot, [many], uk=[93], en=[])
        for topic, count in ((two, 2), (five, 5), (many, 21)):
            for n in range(count):
                await publish(bot.sessions, f"Item {topic}-{n}", [topic])
        await bot.drain_outbox()
        assert await status_counts(bot.sessions) == {"sent": 28 + 5}
    heads = {chat_id: [_text(m) for m in emulator.sent(chat_id)]
             for chat_id in (91, 92, 93, 95)}
    assert heads[91][0].startswith("📰 2 нові пояснення\n")
    assert heads[92][0].startswith("📰 5 нових пояснень\n")
    assert heads[95][0].startswith("📰 5 new explainers\n")
    assert heads[93][0].startswith("📰 21 нове пояснення\n")
    assert heads[93][-1].endswith("…і ще 11 пояснень — /latest")


async def test_a_ukrainian_digest_is_headed_in_ukrainian(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A Ukrainian chat's scheduled digest has its heading (and the slot's day) in
    Ukrainian; an English chat's digest of the same explainers stays English."""
    digest = {"delivery": "digest", "digest_times": ["08:00"]}
    async with running_bot(extra={"delivery": FAST}) as bot:
        [topic] = await add_topics(bot.sessions, "alpha")
        await add_chats(bot.sessions, [(101, "private")], settings={**digest, **UK})
        await add_chats(bot.sessions, [(102, "private")], settings=digest)
        await subscribe_in_db(bot.sessions, [(Destination(101), [topic]),
                                             (Destination(102), [topic])])
        for title in ("Morning one", "Morning two"):
            await publish(bot.sessions, title, [topic])
        await bot.drain_outbox()
        assert emulator.sent_messages() == []  # held for the slot
        await make_due(bot.sessions)
        await bot.drain_outbox()
    [uk_digest], [en_digest] = emulator.sent(101), emulator.sent(102)
    assert _text(uk_digest).startswith("🗞 Ваша добірка · ")
    assert _text(en_digest).startswith("🗞 Your digest · ")
    assert all(title in _text(uk_digest) for title in ("Morning one", "Morning two"))


async def test_a_correction_edit_stays_in_each_chats_language(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A corrected explainer is edited in place in each chat's language: "Оновлено" and the
    Ukrainian buttons for the Ukrainian reader, "Updated" and English for the other."""
    async with running_bot(extra={"delivery": FAST}) as bot:
        [topic] = await add_topics(bot.sessions, "alpha")
        await _readers(bot, [topic], uk=[111], en=[112])
        article_id = await publish(bot.sessions, "First title", [topic])
        await bot.drain_outbox()
        async with bot.sessions() as session, session.begin():
            await session.execute(update(Article).where(Article.id == article_id)
                                  .values(title="Corrected title", version=2, updated=True))
        await bot.correct_sent_messages()
    [uk_edit], [en_edit] = emulator.sent(111), emulator.sent(112)
    assert "edit_date" in uk_edit
    assert "edit_date" in en_edit
    assert "Corrected title" in _text(uk_edit)
    assert "Оновлено" in _text(uk_edit)
    assert _buttons(uk_edit) == ["Читати", "💬 Коментарі", "✍️ Коментувати"]
    assert "Updated" in _text(en_edit)
    assert "Оновлено" not in _text(en_edit)
    assert _buttons(en_edit) == ["Read", "💬 Comments", "✍️ Comment"]


async def test_pause_notices_reach_the_group_and_the_admins_in_their_language(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A Ukrainian forum whose topic was closed is told in Ukrainian that its pushes are
    paused; when a channel loses the bot's rights, a Ukrainian-speaking bot admin is told
    in Ukrainian."""
    owner = emulator.user(77, "Owner")
    forum = emulator.group(-1007100, "Форум", is_forum=True)
    thread = forum.create_topic("Новини")
    emulator.state.chats[-1007100].bot_status = "member"
    forum.close_topic(thread)
    channel = emulator.channel(-1002100, "Канал", bot_status="administrator")
    async with running_bot(extra={"delivery": FAST}, admins=(ADMIN,)) as bot:
        [topic] = await add_topics(bot.sessions, "alpha")
        await add_chats(bot.sessions, [(-1007100, "supergroup"), (ADMIN, "private")],
                        settings=UK)
        await add_chats(bot.sessions, [(-1002100, "channel")])
        await subscribe_in_db(bot.sessions, [(Destination(-1007100, thread), [topic]),
                                             (Destination(-1002100), [topic])])
        await channel.set_bot_rights(by=owner, admin=True, can_post_messages=False)
        await publish(bot.sessions, "Paused news", [topic])
        await drain_until_empty(bot)
    [group_notice] = emulator.sent(-1007100)
    assert _text(group_notice).startswith("⏸ Надсилання пояснень призупинено")
    assert "/topics" in _text(group_notice)
    [admin_notice] = emulator.sent(ADMIN)
    assert "Надсилання в чат -1002100 призупинено" in _text(admin_notice)


async def test_a_group_added_by_a_ukrainian_speaker_speaks_ukrainian(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """The bot added to a group by a Ukrainian speaker says hello in Ukrainian and the group
    keeps Ukrainian as its interface language; one added by an English speaker speaks
    English. Made a channel's admin by a Ukrainian speaker, it offers the connection to
    them in Ukrainian."""
    oksana = emulator.user(121, "Оксана", language_code="uk")
    ann = emulator.user(122, "Ann", language_code="en-GB")
    uk_group = emulator.group(-1200, "Група")
    en_group = emulator.group(-1201, "Group")
    channel = emulator.channel(-1202, "Канал новин")
    async with running_bot() as bot:
        await uk_group.add_bot(by=oksana)
        await en_group.add_bot(by=ann)
        await channel.add_bot(by=oksana)
        [uk_hello] = await emulator.wait_for_sent(-1200, timeout=10)
        [en_hello] = await emulator.wait_for_sent(-1201, timeout=10)
        [offer] = await emulator.wait_for_sent(121, timeout=10)
        languages: dict[int, str | None] = {}
        for chat_id in (-1200, -1201):
            for _ in range(50):  # the hello goes out right after the language is stored
                async with bot.sessions() as session:
                    _known, languages[chat_id] = await chat_settings.interface_language(
                        session, chat_id)
                if languages[chat_id]:
                    break
                await asyncio.sleep(0.05)
        publisher = bot.settings.publisher.name
    assert languages == {-1200: "uk", -1201: "en"}
    with use_language("uk"):
        assert _text(uk_hello) == _html_free(render_group_hello(publisher).text)
        expected = render_channel_offer(ChatInfo(-1202, "channel", "Канал новин", None))
        assert _text(offer) == _html_free(expected.text)
        assert _buttons(offer) == [button.text for row in expected.buttons for button in row]
    with use_language("en"):
        assert _text(en_hello) == _html_free(render_group_hello(publisher).text)



def _html_free(html: str | None) -> str:
    """The text Telegram shows for ``html`` (the emulator stores the parsed text)."""
    return parse_html(html or "").text


async def test_a_reader_who_never_sent_start_gets_pushes_in_their_language(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """A Ukrainian reader whose first message is /subscribe (no /start) keeps Ukrainian for
    the chat, so the push that follows is in Ukrainian too; a chat recorded before languages
    existed takes its user's language at their next message."""
    reader = emulator.user(131, "Оксана", language_code="uk")
    old_timer = emulator.user(132, "Павло", language_code="uk-UA")
    async with running_bot(extra={"delivery": FAST}) as bot:
        [topic] = await add_topics(bot.sessions, "alpha")
        await add_chats(bot.sessions, [(132, "private")])  # no interface language stored
        await reader.send("/subscribe alpha")
        await emulator.wait_for_sent(131, count=1, timeout=10)
        await old_timer.send("/latest")
        await emulator.wait_for_sent(132, count=1, timeout=10)
        stored: dict[int, str | None] = {}
        for chat_id in (131, 132):
            for _ in range(50):  # stored right after the answer
                async with bot.sessions() as session:
                    _known, stored[chat_id] = await chat_settings.interface_language(
                        session, chat_id)
                if stored[chat_id]:
                    break
                await asyncio.sleep(0.05)
        await subscribe_in_db(bot.sessions, [(Destination(132), [topic])])
        await publish(bot.sessions, "Same story", [topic])
        await bot.drain_outbox()
    assert stored == {131: "uk", 132: "uk"}
    assert _buttons(_one_with(emulator, 131, "Same story")) == [
        "Читати", "💬 Коментарі", "✍️ Коментувати"]
    assert _buttons(_one_with(emulator, 132, "Same story")) == [
        "Читати", "💬 Коментарі", "✍️ Коментувати"]
