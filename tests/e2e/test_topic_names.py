"""Topic names in the reader's language: a topic configured with ``names = { uk = … }`` is
named in Ukrainian to a Ukrainian reader everywhere (picker, toast, Done summary, /topic,
/latest, /subscribe, /settings) and answers to that name, while an English reader still
sees and types the English name. Feed-health notices reach each admin in their language."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.emulator import BotAPIEmulator
from storage.models import Subscription, Topic
from tests.support.feedserver import FeedServer
from tests.support.users import button

WAR_UK = "Війна в Україні"
EMPTY_FEED = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
              "<title>Kador Post</title><link>https://news.example.com/</link>"
              "</channel></rss>")
TOPICS = {"topics": [
    {"slug": "war-in-ukraine", "name": "War in Ukraine", "keywords": ["Ukraine"],
     "names": {"uk": WAR_UK}},
    {"slug": "russia", "name": "Russia", "aliases": ["Kremlin"], "names": {"uk": "Росія"}},
    {"slug": "economy", "name": "Economy"},  # no Ukrainian name: shown as it is
]}


def labels(message: dict[str, Any]) -> list[str]:
    """The texts of a message's buttons."""
    return [b["text"] for row in (message.get("reply_markup") or {}).get(
        "inline_keyboard", []) for b in row]


def current(emulator: BotAPIEmulator, chat_id: int, message_id: int) -> dict[str, Any]:
    """A sent message as it is now (after edits)."""
    return next(m for m in emulator.sent(chat_id) if m["message_id"] == message_id)


async def reply_to(emulator: BotAPIEmulator, reader: Any, chat_id: int, text: str) -> str:
    """Send ``text`` and return the text of the bot's next message."""
    before = len(emulator.sent(chat_id))
    await reader.send(text)
    sent = await emulator.wait_for_sent(chat_id, count=before + 1, timeout=10)
    return str(sent[before]["text"])


async def toast_after(emulator: BotAPIEmulator, count: int) -> str:
    """The text of the callback answer after the first ``count``."""
    for _ in range(200):
        if len(emulator.callback_answers) > count:
            break
        await asyncio.sleep(0.05)
    return str(emulator.callback_answers[count].text)


async def followed(bot: Any, chat_id: int) -> set[str]:
    """The slugs of the topics ``chat_id`` follows."""
    async with bot.sessions() as session:
        rows = await session.scalars(
            select(Topic.slug).join(Subscription, Subscription.topic_id == Topic.id)
            .where(Subscription.chat_id == chat_id))
        return set(rows)


async def test_a_ukrainian_reader_sees_and_types_the_ukrainian_topic_names(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """Picker, toast and Done summary, /topic, /latest, /subscribe and /settings name the
    topic "Війна в Україні" to a uk reader; `/subscribe війна в україні` and `/topic росія`
    find the topics; a topic without a Ukrainian name keeps its name."""
    async with running_bot(extra=TOPICS) as bot:
        chat = 861
        reader = emulator.user(chat, first_name="Олена", language_code="uk")
        await reader.send("/start")
        [welcome] = await emulator.wait_for_sent(chat, count=1, timeout=10)
        assert {f"☐ {WAR_UK}", "☐ Росія", "☐ Economy"} <= set(labels(welcome))
        assert not any("War in Ukraine" in label for label in labels(welcome))

        answered = len(emulator.callback_answers)
        await reader.press(welcome, button(welcome, WAR_UK))
        assert await toast_after(emulator, answered) == f"Ви стежите за темою {WAR_UK}"
        picker = current(emulator, chat, welcome["message_id"])
        assert f"✅ {WAR_UK}" in labels(picker)
        edits = len(emulator.calls("editMessageText"))
        await reader.press(picker, button(picker, "Готово"))
        await emulator.wait_for_calls("editMessageText", count=edits + 1, timeout=10)
        summary = current(emulator, chat, welcome["message_id"])["text"]
        assert WAR_UK in summary
        assert "War in Ukraine" not in summary

        topic = await reply_to(emulator, reader, chat, "/topic війна в україні")
        assert WAR_UK in topic
        assert "War in Ukraine" not in topic
        assert "Росія" in await reply_to(emulator, reader, chat, "/topic росія")
        latest = await reply_to(emulator, reader, chat, "/latest 5 війна в україні")
        assert WAR_UK in latest
        assert "War in Ukraine" not in latest

        subscribed = await reply_to(emulator, reader, chat, "/subscribe росія, economy")
        assert "Росія" in subscribed
        assert "Economy" in subscribed
        assert "Russia" not in subscribed
        assert await followed(bot, chat) == {"war-in-ukraine", "russia", "economy"}
        stopped = await reply_to(emulator, reader, chat, "/unsubscribe війна в україні")
        assert WAR_UK in stopped
        assert await followed(bot, chat) == {"russia", "economy"}
        again = await reply_to(emulator, reader, chat, "/subscribe Війна в Україні")
        assert WAR_UK in again
        assert await followed(bot, chat) == {"war-in-ukraine", "russia", "economy"}
        listed = await reply_to(emulator, reader, chat, "/subscribe")
        assert WAR_UK in listed
        assert "War in Ukraine" not in listed


async def test_an_english_reader_still_sees_the_english_names(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """With Ukrainian names configured, an English reader's picker, toast, /topic and
    /subscribe still say "War in Ukraine"; typing the Ukrainian name works for them too."""
    async with running_bot(extra=TOPICS) as bot:
        chat = 862
        reader = emulator.user(chat, first_name="Tom", language_code="en")
        await reader.send("/start")
        [welcome] = await emulator.wait_for_sent(chat, count=1, timeout=10)
        assert {"☐ War in Ukraine", "☐ Russia", "☐ Economy"} <= set(labels(welcome))
        answered = len(emulator.callback_answers)
        await reader.press(welcome, button(welcome, "War in Ukraine"))
        assert await toast_after(emulator, answered) == "Following War in Ukraine"
        topic = await reply_to(emulator, reader, chat, "/topic war in ukraine")
        assert "War in Ukraine" in topic
        assert WAR_UK not in topic
        subscribed = await reply_to(emulator, reader, chat, "/subscribe росія")
        assert "Now following: Russia" in subscribed
        assert "Росія" not in subscribed
        assert await followed(bot, chat) == {"war-in-ukraine", "russia"}


async def test_renamed_translations_follow_the_config(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """The names are synced with the rest of the catalogue: a changed or removed Ukrainian
    name is what readers see after a restart."""
    async with running_bot(extra=TOPICS) as bot, bot.sessions() as session:
        stored = await session.scalar(select(Topic).where(Topic.slug == "war-in-ukraine"))
        assert stored is not None
        assert stored.names == {"uk": WAR_UK}
    renamed = {"topics": [{**TOPICS["topics"][0], "names": {"uk": "Війна"}},
                          {"slug": "russia", "name": "Russia"}]}
    async with running_bot(extra=renamed) as bot:
        async with bot.sessions() as session:
            names = dict((await session.execute(select(Topic.slug, Topic.names))).all())
        assert names["war-in-ukraine"] == {"uk": "Війна"}
        assert names["russia"] == {}
        reader = emulator.user(863, language_code="uk")
        await reader.send("/start")
        [welcome] = await emulator.wait_for_sent(863, count=1, timeout=10)
        assert {"☐ Війна", "☐ Russia"} <= set(labels(welcome))


async def test_feed_health_notices_reach_each_admin_in_their_language(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """A failing feed is announced to a Ukrainian admin in Ukrainian and to an English admin
    in English, and so is its recovery."""
    uk_admin, en_admin = 871, 872
    for admin, language in ((uk_admin, "uk"), (en_admin, "en")):
        await emulator.user(admin, language_code=language).send("/start")
    feed_server.route("/broken.xml", b"oops", status=500)
    feeds = {"feeds": [{"url": feed_server.url("/broken.xml"), "name": "Kador Post"}],
             "ingestion": {"failure_alert_threshold": 1}}
    async with running_bot(extra=feeds, admins=(uk_admin, en_admin)) as bot:
        await emulator.wait_for_sent(uk_admin, count=1, timeout=10)
        await emulator.wait_for_sent(en_admin, count=1, timeout=10)
        await bot.poll_all_feeds()
        uk_notice = (await emulator.wait_for_sent(uk_admin, count=2, timeout=10))[1]["text"]
        en_notice = (await emulator.wait_for_sent(en_admin, count=2, timeout=10))[1]["text"]
        assert "Стрічку Kador Post не вдалося опитати 1 раз поспіль" in uk_notice
        assert "Feed Kador Post has failed 1 poll in a row" in en_notice
        feed_server.route("/broken.xml", EMPTY_FEED)
        await bot.poll_all_feeds()
        uk_back = (await emulator.wait_for_sent(uk_admin, count=3, timeout=10))[2]["text"]
        en_back = (await emulator.wait_for_sent(en_admin, count=3, timeout=10))[2]["text"]
        assert "Стрічка Kador Post знову працює після 1 збою" in uk_back
        assert "Feed Kador Post recovered after 1 failure" in en_back
