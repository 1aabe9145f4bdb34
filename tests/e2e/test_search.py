"""/search end to end: the real bot, polling the emulator, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from bot.emulator import BotAPIEmulator
from storage.models import Article, utcnow
from tests.support.demo_feed import feed_config
from tests.support.feedserver import FeedServer

GRID_URL = "https://news.example.org/explainers/ukraine-winter-grid"


def links(message: dict[str, Any]) -> list[str]:
    """The URLs of a message's text links, in order."""
    return [e["url"] for e in message.get("entities", []) if e["type"] == "text_link"]


async def add_ukrainian_explainer(bot: Any) -> None:
    """A Ukrainian explainer stored as ingestion would store it."""
    now = utcnow()
    async with bot.sessions() as session, session.begin():
        session.add(Article(
            canonical_url="https://news.example.org/uk/energosystema",
            url="https://news.example.org/uk/energosystema", guid="uk-1",
            title="Енергосистема України: як вона пережила зиму",
            summary="Енергетики відновили підстанції після атак.", body="Докладно про ремонт.",
            content_hash="uk-1", created_at=now, updated_at=now, language="uk"))


async def test_search_finds_explainers_best_first(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """/search answers one linked list, best match first, in English and Ukrainian."""
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await bot.poll_all_feeds()
        await add_ukrainian_explainer(bot)
        reader = emulator.user(71)
        await reader.send("/search winter grid")
        await reader.send("/search ЕНЕРГОСИСТЕМА")
        english, ukrainian = await emulator.wait_for_sent(71, count=2, timeout=10)
        assert english["text"].startswith("Search: winter grid")
        assert links(english)[0] == GRID_URL
        assert ukrainian["text"].startswith("Search: ЕНЕРГОСИСТЕМА")
        assert links(ukrainian) == ["https://news.example.org/uk/energosystema"]
        assert "Енергетики відновили підстанції після атак." in ukrainian["text"]


async def test_search_without_words_or_results_gets_help(
    emulator: BotAPIEmulator, running_bot: Any
) -> None:
    """/search alone shows how to search; words nothing matches suggest /latest and /topic;
    query syntax and markup in the words are shown as text."""
    async with running_bot():
        reader = emulator.user(72)
        await reader.send("/search")
        await reader.send('/search zebra "NEAR(* -x" <b>')
        usage, nothing = await emulator.wait_for_sent(72, count=2, timeout=10)
        assert "/search <words>" in usage["text"]
        assert 'No explainers match “zebra "NEAR(* -x" <b>”.' in nothing["text"]
        assert "/topic <name>" in nothing["text"]
        assert "/latest" in nothing["text"]


async def test_search_in_a_forum_thread_replies_there(
    emulator: BotAPIEmulator, running_bot: Any, feed_server: FeedServer
) -> None:
    """In a forum thread the answer goes to the thread, as a reply to the asker."""
    member = emulator.user(73, first_name="Member")
    forum = emulator.group(-730, "Readers' forum", type="supergroup", is_forum=True)
    async with running_bot(extra=feed_config(feed_server)) as bot:
        await bot.poll_all_feeds()
        await forum.add_bot(by=member)
        await emulator.wait_for_sent(-730, count=1, timeout=10)  # the bot's hello
        asked = await member.send("/search grain", chat_id=-730, message_thread_id=5)
        answer = (await emulator.wait_for_sent(-730, count=2, timeout=10))[-1]
        assert answer.get("message_thread_id") == 5
        assert answer["reply_to_message"]["message_id"] == asked["message_id"]
        assert "https://news.example.org/explainers/grain-corridor" in links(answer)
